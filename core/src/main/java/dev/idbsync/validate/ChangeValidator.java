package dev.idbsync.validate;

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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-change checks: the store exists, the key and the value are within their limits, and
 * the value meets the store's JSON Schema. A change that fails one is {@code rejected} with the
 * first problem found; it never fails the request it came in, and a check that throws rejects
 * the change ({@code validation_failed}). No Storm, no I/O but its WARN log.
 */
public final class ChangeValidator {
    private static final Logger LOG = LoggerFactory.getLogger(ChangeValidator.class);
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

    /**
     * Null when the change may be applied, else why it is rejected. Never throws for a change:
     * whatever the checks or the schema library throw (a {@link RuntimeException}, a
     * {@link StackOverflowError} from a {@code pattern} that recurses on a long string, a
     * {@link LinkageError}, any other {@link Error}) rejects the change with
     * {@code validation_failed}, logged at WARN. Not caught: the other
     * {@link VirtualMachineError}s ({@link OutOfMemoryError}, {@link InternalError}), after which
     * the JVM's state is unknown, so the worker had better die and be restarted by Storm; a stack
     * overflow is different, as unwinding the stack frees what it used.
     */
    public ChangeError check(Change c) {
        try {
            return checkOrThrow(c);
        } catch (VirtualMachineError e) {
            if (!(e instanceof StackOverflowError)) {
                throw e;
            }
            return failed(c, e);
        } catch (RuntimeException | Error e) {
            return failed(c, e);
        }
    }

    /**
     * Most characters of a schema error's path or message. Both can quote the value's property
     * names, which only the value limit bounds, and the error is answered, kept in the change's
     * outcome and in the rejected-changes log: a longer one is cut here and ends in {@code ...}.
     */
    public static final int MAX_ERROR_TEXT = 1_000;

    /** Most distinct (store, cause) pairs logged with their stack trace; the rest get one line. */
    private static final int MAX_TRACED = 1_000;
    /** (store, cause class) pairs already logged with their stack trace by this instance. */
    private final Set<String> traced = new java.util.HashSet<>();

    private ChangeError failed(Change c, Throwable e) {
        String store = c.db() + "/" + c.store();
        String cause = e.getClass().getName();
        // A stack overflow's trace is a thousand lines, and every retry of a change validates it
        // again: the first failure of each store and cause gets the trace, later ones one line.
        if (traced.size() < MAX_TRACED && traced.add(store + " " + cause)) {
            LOG.warn("checking change {} of store {} failed; the change is rejected (validation_failed)."
                    + " Later failures of this store with {} are logged without the stack trace", c.eventId(), store,
                    cause, e);
        } else {
            LOG.warn("checking change {} of store {} failed; the change is rejected (validation_failed): {}",
                    c.eventId(), store, abbreviate(String.valueOf(e), 200));
        }
        return new ChangeError("validation_failed", "/value", "the value could not be checked against the schema of"
                + " store '" + c.store() + "' of db '" + c.db() + "': the validator failed with "
                + e.getClass().getSimpleName()
                + (e instanceof StackOverflowError ? " (a schema pattern can, on a long string)" : "")
                + "; the change is not applied. Send a smaller or simpler value, or have the operator fix"
                + " dbs." + c.db() + ".stores." + c.store() + ".schema");
    }

    /** At most {@link #MAX_ERROR_TEXT} characters of {@code s} (whole code points), then {@code ...} if cut. */
    public static String cut(String s) {
        if (s.length() <= MAX_ERROR_TEXT) {
            return s;
        }
        int end = Character.isHighSurrogate(s.charAt(MAX_ERROR_TEXT - 1)) ? MAX_ERROR_TEXT - 1 : MAX_ERROR_TEXT;
        return s.substring(0, end) + "...";
    }

    private static String abbreviate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max) + "...";
    }

    private ChangeError checkOrThrow(Change c) {
        StoreConfig store = config.store(c.db(), c.store());
        if (store == null) {
            // Only what was sent: the configured names are not for any caller to list.
            return new ChangeError("unknown_store", "/store", config.stores().containsKey(c.db())
                    ? "db '" + c.db() + "' has no store '" + c.store() + "'; send one of the db's configured stores"
                    : "db '" + c.db() + "' is not configured on this server; send a configured db");
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
                return new ChangeError("schema", cut(pointer(first)), cut(message(first)));
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
