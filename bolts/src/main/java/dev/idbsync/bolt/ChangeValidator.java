package dev.idbsync.bolt;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.SpecVersionDetector;
import com.networknt.schema.ValidationMessage;
import dev.idbsync.config.LimitsConfig;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Deque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The per-change checks: the store exists, the key and the value are within their limits, and
 * the value meets the store's JSON Schema. A change that fails one is {@code rejected} with the
 * first problem found; it never fails the request it came in. Pure: no Storm, no I/O.
 */
public final class ChangeValidator {
    /** Used when a schema does not name its draft with {@code $schema}. */
    public static final SpecVersion.VersionFlag DEFAULT_DRAFT = SpecVersion.VersionFlag.V202012;

    private final SyncConfig config;
    private final Map<String, JsonSchema> schemas = new HashMap<>();

    /** Compiles every store's schema; a schema that does not compile stops start-up with its store named. */
    public ChangeValidator(SyncConfig config) {
        this.config = config;
        SchemaValidatorsConfig svc = SchemaValidatorsConfig.builder().pathType(PathType.JSON_POINTER).build();
        for (StoreConfig s : config.allStores()) {
            if (s.schemaJson() == null) {
                continue;
            }
            try {
                JsonNode node = Json.MAPPER.readTree(s.schemaJson());
                java.util.Optional<SpecVersion.VersionFlag> named = SpecVersionDetector.detectOptionalVersion(node, false);
                if (named.isEmpty() && node.has("$schema")) {
                    // The library would try to download an unknown meta-schema at start-up.
                    throw new IllegalArgumentException("dbs." + s.db() + ".stores." + s.store() + ".schema: "
                            + s.schemaSource() + " names $schema " + node.get("$schema")
                            + ", which is not a draft this server knows; use draft-04, -06, -07, 2019-09 or 2020-12");
                }
                SpecVersion.VersionFlag draft = named.orElse(DEFAULT_DRAFT);
                JsonSchemaFactory factory = JsonSchemaFactory.getInstance(draft);
                // The library compiles almost anything; checking the schema against its draft's
                // meta-schema is what catches {"type": 12} or {"required": "title"} at start-up.
                Set<ValidationMessage> metaProblems = factory.getSchema(SchemaLocation.of(draft.getId())).validate(node);
                if (!metaProblems.isEmpty()) {
                    throw new IllegalArgumentException("dbs." + s.db() + ".stores." + s.store() + ".schema: " + s.schemaSource()
                            + " is not a valid JSON Schema (" + draft.getId() + "): " + metaProblems.iterator().next().getMessage());
                }
                JsonSchema schema = factory.getSchema(node, svc);
                schema.initializeValidators();
                schemas.put(s.db() + "/" + s.store(), schema);
            } catch (IllegalArgumentException e) {
                throw e;
            } catch (JsonProcessingException | RuntimeException e) {
                throw new IllegalArgumentException("dbs." + s.db() + ".stores." + s.store() + ".schema: "
                        + s.schemaSource() + " is not a usable JSON Schema: " + e.getMessage());
            }
        }
    }

    /** Null when the change may be applied, else why it is rejected. */
    public ChangeError check(Change c) {
        StoreConfig store = config.store(c.db(), c.store());
        if (store == null) {
            return new ChangeError("unknown_store", "/store", config.stores().containsKey(c.db())
                    ? "db '" + c.db() + "' has no store '" + c.store() + "'; configured stores: "
                        + String.join(", ", config.stores().get(c.db()).keySet())
                    : "db '" + c.db() + "' is not configured on this server; configured dbs: "
                        + String.join(", ", config.stores().keySet()));
        }
        LimitsConfig limits = config.limits();
        int keyBytes = c.keyString().getBytes(StandardCharsets.UTF_8).length;
        if (keyBytes > limits.maxKeyBytes()) {
            return new ChangeError("key_too_large", "/key", "the key is " + keyBytes + " bytes in canonical form;"
                    + " the limit (limits.maxKeyBytes) is " + limits.maxKeyBytes());
        }
        if (c.op() != Op.PUT) {
            return null;
        }
        int depth = depth(c.value());
        if (depth > limits.maxValueDepth()) {
            return new ChangeError("too_deep", "/value", "the value nests " + depth + " levels deep; the limit"
                    + " (limits.maxValueDepth) is " + limits.maxValueDepth());
        }
        int valueBytes;
        try {
            valueBytes = Json.MAPPER.writeValueAsBytes(c.value()).length;
        } catch (JsonProcessingException e) {
            return new ChangeError("bad_value", "/value", "the value cannot be serialized: " + e.getOriginalMessage());
        }
        if (valueBytes > limits.maxValueBytes()) {
            return new ChangeError("too_large", "/value", "the value is " + valueBytes + " bytes as JSON; the limit"
                    + " (limits.maxValueBytes) is " + limits.maxValueBytes());
        }
        JsonSchema schema = schemas.get(c.db() + "/" + c.store());
        if (schema != null) {
            Set<ValidationMessage> problems = schema.validate(c.value());
            if (!problems.isEmpty()) {
                ValidationMessage first = problems.stream()
                        .min(Comparator.comparing((ValidationMessage m) -> m.getInstanceLocation().toString())
                                .thenComparing(m -> String.valueOf(m.getProperty())))
                        .orElseThrow();
                return new ChangeError("schema", pointer(first), message(first));
            }
        }
        return null;
    }

    /** Levels of objects and arrays; a flat object is 1. Iterative, so depth cannot exhaust the stack. */
    static int depth(JsonNode root) {
        int max = 0;
        Deque<Map.Entry<JsonNode, Integer>> stack = new ArrayDeque<>();
        stack.push(Map.entry(root, 1));
        while (!stack.isEmpty()) {
            Map.Entry<JsonNode, Integer> e = stack.pop();
            JsonNode n = e.getKey();
            if (!n.isContainerNode()) {
                continue;
            }
            int d = e.getValue();
            max = Math.max(max, d);
            for (Iterator<JsonNode> it = n.elements(); it.hasNext(); ) {
                JsonNode child = it.next();
                if (child.isContainerNode()) {
                    stack.push(Map.entry(child, d + 1));
                }
            }
        }
        return max;
    }

    private static String pointer(ValidationMessage m) {
        String at = m.getInstanceLocation().toString();
        if ("required".equals(m.getType()) && m.getProperty() != null) {
            // RFC 6901: '~' and '/' inside a name are escaped
            at = (at.equals("/") ? "" : at) + "/" + m.getProperty().replace("~", "~0").replace("/", "~1");
        }
        return "/value" + (at.equals("/") ? "" : at);
    }

    private static String message(ValidationMessage m) {
        if ("required".equals(m.getType()) && m.getProperty() != null) {
            return "required property '" + m.getProperty() + "' is missing";
        }
        String error = m.getError();
        return error != null ? error : m.getMessage();
    }
}
