package dev.idbsync.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads {@code conf/<env>.yaml} into a {@link SyncConfig}. Every key is checked: an unknown key
 * (a typo) is an error naming it and the keys allowed there, and a bad value is an error naming
 * the key, the value and what is allowed. Schema files are read here, relative to the YAML file,
 * so that workers never need the conf directory.
 */
public final class ConfigLoader {
    /** A key given twice is an error, not a silent "last one wins". */
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION));

    private ConfigLoader() {
    }

    public static SyncConfig load(Path file) {
        JsonNode root;
        try {
            root = YAML.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("config file " + file + " does not exist");
        } catch (IOException e) {
            String m = e.getMessage();
            if (m != null && m.startsWith("Duplicate field")) {
                throw new IllegalArgumentException("config file " + file + ": a key is given twice ("
                        + m.lines().findFirst().orElse(m) + "); keep one");
            }
            throw new IllegalArgumentException("config file " + file + " is not valid YAML: " + m);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("config file " + file + " must hold a YAML mapping");
        }
        return fromTree(root, file.toAbsolutePath().getParent());
    }

    static SyncConfig fromTree(JsonNode root, Path baseDir) {
        // Top-level keys with a dot (nimbus.seeds, storm.zookeeper.servers, ...) are Storm's own:
        // `storm jar ... --config conf/cluster.yaml` makes Storm's client read this file too.
        known(root, "", "dataDir", "http", "limits", "ignite", "topology", "flume", "files", "dbs", "*.*");
        SyncConfig.Builder b = SyncConfig.builder();
        if (root.has("dataDir")) {
            b.dataDir(string(root, "dataDir", ""));
        }

        JsonNode h = section(root, "http");
        HttpConfig.Builder http = HttpConfig.builder();
        known(h, "http.", "host", "port", "maxBodyBytes", "maxChangesPerRequest", "maxRequestsInFlight",
                "requestTimeoutMs", "retryAfterSeconds", "corsOrigins", "maxConnections", "headerTimeoutMs", "bodyTimeoutMs",
                "idleTimeoutMs", "maxBufferedBodyBytes");
        if (h.has("host")) {
            http.host(string(h, "host", "http."));
        }
        if (h.has("port")) {
            http.port(integer(h, "port", "http."));
        }
        if (h.has("maxBodyBytes")) {
            http.maxBodyBytes(integer(h, "maxBodyBytes", "http."));
        }
        if (h.has("maxChangesPerRequest")) {
            http.maxChangesPerRequest(integer(h, "maxChangesPerRequest", "http."));
        }
        if (h.has("maxRequestsInFlight")) {
            http.maxRequestsInFlight(integer(h, "maxRequestsInFlight", "http."));
        }
        if (h.has("requestTimeoutMs")) {
            http.requestTimeoutMs(integer(h, "requestTimeoutMs", "http."));
        }
        if (h.has("retryAfterSeconds")) {
            http.retryAfterSeconds(integer(h, "retryAfterSeconds", "http."));
        }
        if (h.has("maxConnections")) {
            http.maxConnections(integer(h, "maxConnections", "http."));
        }
        if (h.has("headerTimeoutMs")) {
            http.headerTimeoutMs(integer(h, "headerTimeoutMs", "http."));
        }
        if (h.has("bodyTimeoutMs")) {
            http.bodyTimeoutMs(integer(h, "bodyTimeoutMs", "http."));
        }
        if (h.has("idleTimeoutMs")) {
            http.idleTimeoutMs(integer(h, "idleTimeoutMs", "http."));
        }
        if (h.has("maxBufferedBodyBytes")) {
            JsonNode n = h.get("maxBufferedBodyBytes");
            if (!n.isIntegralNumber() || !n.canConvertToLong()) {
                throw new IllegalArgumentException("http.maxBufferedBodyBytes: " + n + " is not allowed; give an integer");
            }
            http.maxBufferedBodyBytes(n.longValue());
        }
        if (h.has("corsOrigins")) {
            JsonNode o = h.get("corsOrigins");
            if (!o.isArray()) {
                throw new IllegalArgumentException("http.corsOrigins: " + o + " is not allowed; give a list of origins");
            }
            List<String> origins = new ArrayList<>();
            for (JsonNode x : o) {
                if (!x.isTextual()) {
                    throw new IllegalArgumentException("http.corsOrigins: " + x + " is not allowed; give origins as strings");
                }
                origins.add(x.asText());
            }
            http.corsOrigins(origins);
        }
        b.http(http.build());

        JsonNode l = section(root, "limits");
        known(l, "limits.", "maxValueBytes", "maxValueDepth", "maxKeyBytes", "maxRejectedValueBytes");
        b.limits(new LimitsConfig(
                l.has("maxValueBytes") ? integer(l, "maxValueBytes", "limits.") : LimitsConfig.DEFAULT_MAX_VALUE_BYTES,
                l.has("maxValueDepth") ? integer(l, "maxValueDepth", "limits.") : LimitsConfig.DEFAULT_MAX_VALUE_DEPTH,
                l.has("maxKeyBytes") ? integer(l, "maxKeyBytes", "limits.") : LimitsConfig.DEFAULT_MAX_KEY_BYTES,
                l.has("maxRejectedValueBytes") ? integer(l, "maxRejectedValueBytes", "limits.")
                        : LimitsConfig.DEFAULT_MAX_REJECTED_VALUE_BYTES));

        JsonNode i = section(root, "ignite");
        known(i, "ignite.", "mode", "addresses", "clientTimeoutMs", "outcomesCache", "cacheBackups", "outcomeRetentionHours", "rejectedRetentionHours",
                "feedStallSkipMs", "embedded");
        IgniteConfig.Builder ignite = IgniteConfig.builder();
        if (i.has("mode")) {
            String mode = string(i, "mode", "ignite.");
            switch (mode) {
                case "embedded" -> ignite.mode(IgniteConfig.Mode.EMBEDDED);
                case "remote" -> ignite.mode(IgniteConfig.Mode.REMOTE);
                default -> throw new IllegalArgumentException("ignite.mode: \"" + mode
                        + "\" is not allowed; use embedded (the local run starts a node) or remote");
            }
        }
        if (i.has("addresses")) {
            ignite.addresses(strings(i, "addresses", "ignite."));
        }
        if (i.has("clientTimeoutMs")) {
            ignite.clientTimeoutMs(integer(i, "clientTimeoutMs", "ignite."));
        }
        if (i.has("outcomesCache")) {
            ignite.outcomesCache(string(i, "outcomesCache", "ignite."));
        }
        if (i.has("cacheBackups")) {
            ignite.cacheBackups(integer(i, "cacheBackups", "ignite."));
        }
        if (i.has("outcomeRetentionHours")) {
            ignite.outcomeRetentionHours(integer(i, "outcomeRetentionHours", "ignite."));
        }
        if (i.has("rejectedRetentionHours")) {
            ignite.rejectedRetentionHours(integer(i, "rejectedRetentionHours", "ignite."));
        }
        if (i.has("feedStallSkipMs")) {
            ignite.feedStallSkipMs(integer(i, "feedStallSkipMs", "ignite."));
        }
        JsonNode e = section(i, "embedded", "ignite.");
        known(e, "ignite.embedded.", "discoveryPort", "communicationPort", "dataRegionMb", "walMode");
        if (e.has("discoveryPort")) {
            ignite.discoveryPort(integer(e, "discoveryPort", "ignite.embedded."));
        }
        if (e.has("communicationPort")) {
            ignite.communicationPort(integer(e, "communicationPort", "ignite.embedded."));
        }
        if (e.has("dataRegionMb")) {
            ignite.dataRegionMb(integer(e, "dataRegionMb", "ignite.embedded."));
        }
        if (e.has("walMode")) {
            ignite.walMode(string(e, "walMode", "ignite.embedded."));
        }
        b.ignite(ignite.build());

        JsonNode t = section(root, "topology");
        known(t, "topology.", "name", "workers", "spoutParallelism", "validateParallelism", "sequenceParallelism", "resolveParallelism", "flumeParallelism", "filesParallelism",
                "maxSpoutPending", "messageTimeoutSecs", "igniteBatchSize", "storm");
        TopologyConfig.Builder topo = TopologyConfig.builder();
        if (t.has("name")) {
            topo.name(string(t, "name", "topology."));
        }
        if (t.has("workers")) {
            topo.workers(integer(t, "workers", "topology."));
        }
        if (t.has("spoutParallelism")) {
            topo.spoutParallelism(integer(t, "spoutParallelism", "topology."));
        }
        if (t.has("validateParallelism")) {
            topo.validateParallelism(integer(t, "validateParallelism", "topology."));
        }
        if (t.has("sequenceParallelism")) {
            topo.sequenceParallelism(integer(t, "sequenceParallelism", "topology."));
        }
        if (t.has("resolveParallelism")) {
            topo.resolveParallelism(integer(t, "resolveParallelism", "topology."));
        }
        if (t.has("flumeParallelism")) {
            topo.flumeParallelism(integer(t, "flumeParallelism", "topology."));
        }
        if (t.has("filesParallelism")) {
            topo.filesParallelism(integer(t, "filesParallelism", "topology."));
        }
        if (t.has("maxSpoutPending")) {
            topo.maxSpoutPending(integer(t, "maxSpoutPending", "topology."));
        }
        if (t.has("messageTimeoutSecs")) {
            topo.messageTimeoutSecs(integer(t, "messageTimeoutSecs", "topology."));
        }
        if (t.has("igniteBatchSize")) {
            topo.igniteBatchSize(integer(t, "igniteBatchSize", "topology."));
        }
        if (t.has("storm")) {
            JsonNode s = t.get("storm");
            if (!s.isObject()) {
                throw new IllegalArgumentException("topology.storm: must be a mapping of Storm settings");
            }
            Map<String, Object> storm = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = s.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> en = it.next();
                storm.put(en.getKey(), YAML.convertValue(en.getValue(), Object.class));
            }
            topo.stormConfig(storm);
        }
        b.topology(topo.build());

        JsonNode f = section(root, "flume");
        known(f, "flume.", "enabled", "agents", "selector", "batchSize", "connectTimeoutMs", "requestTimeoutMs",
                "maxBackoffMs", "embeddedAgent");
        FlumeConfig.Builder flume = FlumeConfig.builder();
        if (f.has("enabled")) {
            flume.enabled(bool(f, "enabled", "flume."));
        }
        if (f.has("agents")) {
            flume.agents(strings(f, "agents", "flume."));
        }
        if (f.has("selector")) {
            String s = string(f, "selector", "flume.");
            switch (s) {
                case "failover" -> flume.selector(FlumeConfig.Selector.FAILOVER);
                case "load_balance" -> flume.selector(FlumeConfig.Selector.LOAD_BALANCE);
                default -> throw new IllegalArgumentException("flume.selector: \"" + s
                        + "\" is not allowed; use failover or load_balance");
            }
        }
        if (f.has("batchSize")) {
            flume.batchSize(integer(f, "batchSize", "flume."));
        }
        if (f.has("connectTimeoutMs")) {
            flume.connectTimeoutMs(integer(f, "connectTimeoutMs", "flume."));
        }
        if (f.has("requestTimeoutMs")) {
            flume.requestTimeoutMs(integer(f, "requestTimeoutMs", "flume."));
        }
        if (f.has("maxBackoffMs")) {
            flume.maxBackoffMs(integer(f, "maxBackoffMs", "flume."));
        }
        if (f.has("embeddedAgent")) {
            String path = string(f, "embeddedAgent", "flume.");
            Path p = baseDir == null ? Path.of(path) : baseDir.resolve(path);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException("flume.embeddedAgent: \"" + path + "\" cannot be read (looked for "
                        + p.toAbsolutePath() + "); give an agent properties file relative to the config file");
            }
            flume.embeddedAgentConfig(p.toAbsolutePath().toString());
        }
        b.flume(flume.build());

        JsonNode fl = section(root, "files");
        known(fl, "files.", "enabled", "dir", "rollIntervalMs", "rollBytes", "rollLines");
        FilesConfig.Builder files = FilesConfig.builder();
        if (fl.has("enabled")) {
            files.enabled(bool(fl, "enabled", "files."));
        }
        if (fl.has("dir")) {
            files.dir(string(fl, "dir", "files."));
        }
        if (fl.has("rollIntervalMs")) {
            files.rollIntervalMs(integer(fl, "rollIntervalMs", "files."));
        }
        if (fl.has("rollBytes")) {
            JsonNode n = fl.get("rollBytes");
            if (!n.isIntegralNumber() || !n.canConvertToLong()) {
                throw new IllegalArgumentException("files.rollBytes: " + n + " is not allowed; give an integer");
            }
            files.rollBytes(n.longValue());
        }
        if (fl.has("rollLines")) {
            files.rollLines(integer(fl, "rollLines", "files."));
        }
        b.files(files.build());

        JsonNode dbs = root.get("dbs");
        if (dbs == null || !dbs.isObject() || dbs.isEmpty()) {
            throw new IllegalArgumentException("dbs: is required; configure at least one db with one store, e.g."
                    + " dbs: {notes-app: {stores: {notes: {schema: schemas/notes-app/notes.schema.json}}}}");
        }
        for (Iterator<Map.Entry<String, JsonNode>> dit = dbs.fields(); dit.hasNext(); ) {
            Map.Entry<String, JsonNode> d = dit.next();
            String dbKey = "dbs." + d.getKey() + ".";
            JsonNode dbNode = d.getValue();
            if (!dbNode.isObject()) {
                throw new IllegalArgumentException("dbs." + d.getKey() + ": must be a mapping with a stores key");
            }
            known(dbNode, dbKey, "stores");
            JsonNode stores = dbNode.get("stores");
            if (stores == null || !stores.isObject() || stores.isEmpty()) {
                throw new IllegalArgumentException(dbKey + "stores: is required; configure at least one store");
            }
            for (Iterator<Map.Entry<String, JsonNode>> sit = stores.fields(); sit.hasNext(); ) {
                Map.Entry<String, JsonNode> s = sit.next();
                String sKey = dbKey + "stores." + s.getKey() + ".";
                JsonNode sn = s.getValue() == null || s.getValue().isNull() ? YAML.createObjectNode() : s.getValue();
                if (!sn.isObject()) {
                    throw new IllegalArgumentException(sKey.substring(0, sKey.length() - 1) + ": must be a mapping");
                }
                known(sn, sKey, "schema", "policy", "cache");
                String schemaJson = null;
                String source = null;
                if (sn.has("schema")) {
                    String schemaPath = string(sn, "schema", sKey);
                    Path p = baseDir == null ? Path.of(schemaPath) : baseDir.resolve(schemaPath);
                    source = p.toString();
                    try {
                        schemaJson = Files.readString(p, StandardCharsets.UTF_8);
                    } catch (IOException ex) {
                        throw new IllegalArgumentException(sKey + "schema: \"" + schemaPath + "\" cannot be read (looked for "
                                + p.toAbsolutePath() + "); give a JSON Schema file path relative to the config file");
                    }
                }
                b.store(new StoreConfig(d.getKey(), s.getKey(), schemaJson, source,
                        sn.has("policy") ? string(sn, "policy", sKey) : null,
                        sn.has("cache") ? string(sn, "cache", sKey) : null));
            }
        }
        return b.build();
    }

    private static JsonNode section(JsonNode parent, String name) {
        return section(parent, name, "");
    }

    private static JsonNode section(JsonNode parent, String name, String prefix) {
        JsonNode n = parent.get(name);
        if (n == null || n.isNull()) {
            return YAML.createObjectNode();
        }
        if (!n.isObject()) {
            throw new IllegalArgumentException(prefix + name + ": must be a mapping, not " + n.getNodeType().toString().toLowerCase());
        }
        return n;
    }

    private static void known(JsonNode node, String prefix, String... keys) {
        Set<String> allowed = new TreeSet<>(List.of(keys));
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!allowed.contains(k) && !(allowed.contains("*.*") && k.contains("."))) {
                allowed.remove("*.*");
                throw new IllegalArgumentException(prefix + k + ": unknown key; allowed here: " + String.join(", ", allowed));
            }
        }
    }

    private static String string(JsonNode parent, String field, String prefix) {
        JsonNode n = parent.get(field);
        if (!n.isTextual()) {
            throw new IllegalArgumentException(prefix + field + ": " + n + " is not allowed; give a string");
        }
        return n.asText();
    }

    private static boolean bool(JsonNode parent, String field, String prefix) {
        JsonNode n = parent.get(field);
        if (!n.isBoolean()) {
            throw new IllegalArgumentException(prefix + field + ": " + n + " is not allowed; give true or false");
        }
        return n.asBoolean();
    }

    private static int integer(JsonNode parent, String field, String prefix) {
        JsonNode n = parent.get(field);
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new IllegalArgumentException(prefix + field + ": " + n + " is not allowed; give an integer");
        }
        return n.intValue();
    }

    private static List<String> strings(JsonNode parent, String field, String prefix) {
        JsonNode n = parent.get(field);
        if (!n.isArray()) {
            throw new IllegalArgumentException(prefix + field + ": " + n + " is not allowed; give a list of host:port strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode x : n) {
            if (!x.isTextual()) {
                throw new IllegalArgumentException(prefix + field + ": " + x + " is not allowed; give host:port strings");
            }
            out.add(x.asText());
        }
        return out;
    }
}
