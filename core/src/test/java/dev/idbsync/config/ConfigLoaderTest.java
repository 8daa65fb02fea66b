package dev.idbsync.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ConfigLoaderTest {
    /** The repository's conf directory; surefire runs in the module directory. */
    private static final Path CONF = Path.of("..", "conf").toAbsolutePath().normalize();

    private static final String NOTES_SCHEMA = """
            {"type": "object", "required": ["title"],
             "properties": {"title": {"type": "string", "minLength": 1, "maxLength": 500}, "done": {"type": "boolean"}}}
            """;

    /** The smallest valid config: one db, one store, no schema. */
    private static final String DBS = """
            dbs:
              notes-app:
                stores:
                  notes: {}
            """;

    @TempDir
    Path dir;

    private Path write(String name, String text) throws IOException {
        Path p = dir.resolve(name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text, StandardCharsets.UTF_8);
        return p;
    }

    private SyncConfig load(String yaml) throws IOException {
        return ConfigLoader.load(write("test.yaml", yaml));
    }

    private static void assertContainsAll(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), "message should contain '" + part + "' but was: " + message);
        }
    }

    @Test
    void feedStallSkipMsDefaultsToThirtySecondsAndIsChecked() throws IOException {
        assertEquals(30_000, load(DBS).ignite().feedStallSkipMs());
        assertEquals(5_000, load(DBS + "ignite:\n  feedStallSkipMs: 5000\n").ignite().feedStallSkipMs());
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> load(DBS + "ignite:\n  feedStallSkipMs: 10\n"));
        assertContainsAll(e.getMessage(), "ignite.feedStallSkipMs", "10");
    }

    // ------------------------------------------------------------------ the repository's files

    @Test
    void repositoryLocalYamlLoads() throws IOException {
        SyncConfig c = ConfigLoader.load(CONF.resolve("local.yaml"));

        assertEquals("data", c.dataDir());
        assertEquals(8080, c.http().port());
        assertEquals("127.0.0.1", c.http().host());
        assertEquals(4_194_304, c.http().maxBodyBytes());
        assertEquals(1000, c.http().maxChangesPerRequest());
        assertEquals(262_144, c.limits().maxValueBytes());
        assertEquals(32, c.limits().maxValueDepth());
        assertEquals(1024, c.limits().maxKeyBytes());
        assertEquals(IgniteConfig.Mode.EMBEDDED, c.ignite().mode());
        assertEquals(List.of("127.0.0.1:10800"), c.ignite().addresses());
        assertEquals(10800, c.ignite().thinClientPort());
        assertEquals("LOG_ONLY", c.ignite().walMode());
        assertEquals("idbsync", c.topology().name());

        StoreConfig notes = c.store("notes-app", "notes");
        assertNotNull(notes, "notes-app/notes must be configured");
        assertEquals("lww", notes.policy());
        assertEquals("notes-app.notes", notes.cache());
        String schemaOnDisk = Files.readString(CONF.resolve("schemas/notes-app/notes.schema.json"));
        assertEquals(schemaOnDisk, notes.schemaJson());
        assertTrue(notes.schemaJson().contains("\"required\": [\"title\"]"), notes.schemaJson());
        assertTrue(notes.schemaSource().endsWith("notes.schema.json"), notes.schemaSource());
        assertEquals(1, c.allStores().size());
        assertNull(c.store("notes-app", "other"));
        assertNull(c.store("other", "notes"));
    }

    @Test
    void repositoryClusterYamlLoads() throws IOException {
        SyncConfig c = ConfigLoader.load(CONF.resolve("cluster.yaml"));

        assertEquals(IgniteConfig.Mode.REMOTE, c.ignite().mode());
        assertEquals(List.of("ignite-1.example.internal:10800", "ignite-2.example.internal:10800"), c.ignite().addresses());
        assertEquals(1, c.ignite().cacheBackups());
        assertEquals(8080, c.http().port());
        assertEquals("0.0.0.0", c.http().host());
        assertEquals(2, c.topology().workers());
        assertEquals(2, c.topology().spoutParallelism());

        Map<String, Object> storm = c.topology().stormConfig();
        assertTrue(storm.containsKey("topology.worker.childopts"), storm.keySet().toString());
        Object opts = storm.get("topology.worker.childopts");
        assertTrue(opts instanceof String, "childopts must reach Storm as a string");
        assertTrue(((String) opts).contains("--add-opens=java.base/java.nio=ALL-UNNAMED"), (String) opts);
        assertTrue(((String) opts).startsWith("-Xmx1g"), (String) opts);

        StoreConfig notes = c.store("notes-app", "notes");
        assertNotNull(notes);
        assertEquals("lww", notes.policy());
        assertEquals("notes-app.notes", notes.cache());
        assertNotNull(notes.schemaJson());
        assertTrue(notes.schemaJson().contains("\"title\""));
    }

    @Test
    void repositoryClusterYamlTurnsAuthOnWithAJwksUrlAndLocalYamlLeavesItUnconfigured() throws IOException {
        AuthConfig a = ConfigLoader.load(CONF.resolve("cluster.yaml")).auth();
        assertTrue(a.configured());
        assertEquals(AuthConfig.Mode.JWT, a.mode());
        assertEquals("https://login.example.com/.well-known/jwks.json", a.jwksUrl());
        assertEquals("idbsync", a.audience());
        assertFalse(ConfigLoader.load(CONF.resolve("local.yaml")).auth().configured());
    }

    @Test
    void loadedConfigIsSerializable() throws Exception {
        SyncConfig c = ConfigLoader.load(CONF.resolve("cluster.yaml"));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(c);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            SyncConfig back = (SyncConfig) in.readObject();
            assertEquals(c.store("notes-app", "notes").schemaJson(), back.store("notes-app", "notes").schemaJson());
            assertEquals(c.topology().stormConfig(), back.topology().stormConfig());
        }
    }

    // ------------------------------------------------------------------ defaults

    @Test
    void minimalFileGetsEveryDefault() throws IOException {
        SyncConfig c = load(DBS);

        assertEquals(SyncConfig.DEFAULT_DATA_DIR, c.dataDir());
        assertEquals("data", c.dataDir());

        HttpConfig h = c.http();
        assertEquals("127.0.0.1", h.host());
        assertEquals(8080, h.port());
        assertEquals(4 * 1024 * 1024, h.maxBodyBytes());
        assertEquals(1000, h.maxChangesPerRequest());
        assertEquals(256, h.maxRequestsInFlight());
        assertEquals(35_000, h.requestTimeoutMs());
        assertEquals(1, h.retryAfterSeconds());
        assertEquals(1000, h.maxConnections());
        assertEquals(10_000, h.headerTimeoutMs());
        assertEquals(60_000, h.bodyTimeoutMs());
        assertEquals(30_000, h.idleTimeoutMs());
        assertEquals(64L * 1024 * 1024, h.maxBufferedBodyBytes());

        LimitsConfig l = c.limits();
        assertEquals(256 * 1024, l.maxValueBytes());
        assertEquals(32, l.maxValueDepth());
        assertEquals(1024, l.maxKeyBytes());
        assertEquals(16 * 1024, l.maxRejectedValueBytes());

        IgniteConfig i = c.ignite();
        assertEquals(IgniteConfig.Mode.EMBEDDED, i.mode());
        assertEquals(List.of("127.0.0.1:10800"), i.addresses());
        assertEquals(10_000, i.clientTimeoutMs());
        assertEquals("idbsync_outcomes", i.outcomesCache());
        assertEquals(0, i.cacheBackups());
        assertEquals(47500, i.discoveryPort());
        assertEquals(47100, i.communicationPort());
        assertEquals(512, i.dataRegionMb());
        assertEquals(2048, i.walArchiveMb());
        assertEquals(64, i.cachePartitions());
        assertEquals("LOG_ONLY", i.walMode());

        TopologyConfig t = c.topology();
        assertEquals("idbsync", t.name());
        assertEquals(1, t.workers());
        assertEquals(1, t.spoutParallelism());
        assertEquals(1, t.validateParallelism());
        assertEquals(1, t.resolveParallelism());
        assertEquals(1, t.sequenceParallelism());
        assertEquals(20_000, t.maxSpoutPending());
        assertEquals(30, t.messageTimeoutSecs());
        assertEquals(500, t.igniteBatchSize());
        assertTrue(t.stormConfig().isEmpty());

        StoreConfig s = c.store("notes-app", "notes");
        assertNotNull(s);
        assertEquals("lww", s.policy());
        assertEquals("notes-app.notes", s.cache());
        assertNull(s.schemaJson(), "no schema configured: any object");
    }

    @Test
    void storeGivenAsNullGetsDefaults() throws IOException {
        SyncConfig c = load("dbs:\n  a:\n    stores:\n      s:\n");
        assertEquals("a.s", c.store("a", "s").cache());
        assertEquals("lww", c.store("a", "s").policy());
    }

    @Test
    void schemaIsReadRelativeToTheConfigFile() throws IOException {
        write("sub/schemas/notes.json", NOTES_SCHEMA);
        Path yaml = write("sub/app.yaml", """
                dbs:
                  notes-app:
                    stores:
                      notes:
                        schema: schemas/notes.json
                """);
        SyncConfig c = ConfigLoader.load(yaml);
        assertEquals(NOTES_SCHEMA, c.store("notes-app", "notes").schemaJson());
        assertTrue(c.store("notes-app", "notes").schemaSource().endsWith("notes.json"));
    }

    @Test
    void severalDbsAndStoresKeepFileOrder() throws IOException {
        SyncConfig c = load("""
                dbs:
                  b-db:
                    stores:
                      z: {policy: merge}
                      a: {policy: server-wins, cache: custom_cache}
                  a-db:
                    stores:
                      x: {policy: client-wins}
                """);
        assertEquals(List.of("b-db", "a-db"), List.copyOf(c.stores().keySet()));
        assertEquals(List.of("z", "a"), List.copyOf(c.stores().get("b-db").keySet()));
        assertEquals("merge", c.store("b-db", "z").policy());
        assertEquals("custom_cache", c.store("b-db", "a").cache());
        assertEquals("client-wins", c.store("a-db", "x").policy());
        assertEquals(3, c.allStores().size());
    }

    @Test
    void customPolicyIsAccepted() throws IOException {
        SyncConfig c = load("""
                dbs:
                  notes-app:
                    stores:
                      notes: {policy: "custom:com.example.MyPolicy"}
                """);
        assertEquals("custom:com.example.MyPolicy", c.store("notes-app", "notes").policy());
    }

    @Test
    void valuesOverrideDefaults() throws IOException {
        SyncConfig c = load("""
                dataDir: /var/lib/idbsync
                http: {port: 0, host: 0.0.0.0, maxChangesPerRequest: 5}
                limits: {maxValueBytes: 1024, maxValueDepth: 900, maxKeyBytes: 16, maxRejectedValueBytes: 4096}
                ignite:
                  mode: remote
                  addresses: ["a:1", "b:65535"]
                  embedded: {walMode: FSYNC}
                topology:
                  workers: 1000
                  storm: {topology.debug: true, topology.max.task.parallelism: 4}
                """ + DBS);
        assertEquals("/var/lib/idbsync", c.dataDir());
        assertEquals(0, c.http().port());
        assertEquals(5, c.http().maxChangesPerRequest());
        assertEquals(900, c.limits().maxValueDepth());
        assertEquals(16, c.limits().maxKeyBytes());
        assertEquals(4096, c.limits().maxRejectedValueBytes());
        assertEquals(List.of("a:1", "b:65535"), c.ignite().addresses());
        assertEquals("FSYNC", c.ignite().walMode());
        assertEquals(1000, c.topology().workers());
        assertEquals(Boolean.TRUE, c.topology().stormConfig().get("topology.debug"));
        assertEquals(4, c.topology().stormConfig().get("topology.max.task.parallelism"));
    }

    @Test
    void theListenersBoundsAreRead() throws IOException {
        HttpConfig h = load("""
                http: {maxConnections: 50, headerTimeoutMs: 500, bodyTimeoutMs: 1500, idleTimeoutMs: 700,
                       maxBufferedBodyBytes: 5000000000}
                """ + DBS).http();
        assertEquals(50, h.maxConnections());
        assertEquals(500, h.headerTimeoutMs());
        assertEquals(1500, h.bodyTimeoutMs());
        assertEquals(700, h.idleTimeoutMs());
        assertEquals(5_000_000_000L, h.maxBufferedBodyBytes(), "more than an int holds");
        assertEquals(h.maxBufferedBodyBytes(), h.toBuilder().build().maxBufferedBodyBytes());
        assertEquals(50, h.toBuilder().build().maxConnections());
    }

    @Test
    void theKnobsOnceHardCodedKeepTheirValuesAsDefaults() throws IOException {
        TopologyConfig t = load(DBS).topology();
        assertEquals(200, t.spoutEmitBatch());
        assertEquals(1, t.spoutIoThreads());
        assertEquals(4, t.spoutWorkerThreads());
        assertEquals(100_000, t.sequencerClientsInMemory());
        assertEquals(32, t.resolverCacheMb());
        assertEquals(1000, load(DBS).files().batchSize());
        for (String env : List.of("local.yaml", "cluster.yaml")) {
            SyncConfig c = ConfigLoader.load(CONF.resolve(env));
            assertEquals(TopologyConfig.DEFAULT_SPOUT_EMIT_BATCH, c.topology().spoutEmitBatch(), env);
            assertEquals(TopologyConfig.DEFAULT_SPOUT_IO_THREADS, c.topology().spoutIoThreads(), env);
            assertEquals(TopologyConfig.DEFAULT_SPOUT_WORKER_THREADS, c.topology().spoutWorkerThreads(), env);
            assertEquals(TopologyConfig.DEFAULT_SEQUENCER_CLIENTS_IN_MEMORY, c.topology().sequencerClientsInMemory(), env);
            assertEquals(TopologyConfig.DEFAULT_RESOLVER_CACHE_MB, c.topology().resolverCacheMb(), env);
            assertEquals(FilesConfig.DEFAULT_BATCH_SIZE, c.files().batchSize(), env);
        }
    }

    @Test
    void theKnobsAreReadAndChecked() throws IOException {
        SyncConfig c = load("""
                topology: {spoutEmitBatch: 50, spoutIoThreads: 2, spoutWorkerThreads: 8, sequencerClientsInMemory: 10,
                           resolverCacheMb: 0}
                files: {batchSize: 20}
                """ + DBS);
        assertEquals(50, c.topology().spoutEmitBatch());
        assertEquals(2, c.topology().spoutIoThreads());
        assertEquals(8, c.topology().spoutWorkerThreads());
        assertEquals(10, c.topology().sequencerClientsInMemory());
        assertEquals(0, c.topology().resolverCacheMb());
        assertEquals(0, c.topology().toBuilder().build().resolverCacheMb());
        assertEquals(20, c.files().batchSize());
        assertEquals(8, c.topology().toBuilder().build().spoutWorkerThreads());
        assertEquals(20, c.files().toBuilder().build().batchSize());
        assertEquals("topology.spoutEmitBatch: 0 is not allowed; use an integer from 1 to 100000",
                assertThrows(IllegalArgumentException.class, () -> load("topology: {spoutEmitBatch: 0}\n" + DBS)).getMessage());
        assertEquals("topology.spoutIoThreads: 65 is not allowed; use an integer from 1 to 64",
                assertThrows(IllegalArgumentException.class, () -> load("topology: {spoutIoThreads: 65}\n" + DBS)).getMessage());
        assertEquals("topology.spoutWorkerThreads: 0 is not allowed; use an integer from 1 to 1024",
                assertThrows(IllegalArgumentException.class, () -> load("topology: {spoutWorkerThreads: 0}\n" + DBS)).getMessage());
        assertEquals("topology.sequencerClientsInMemory: 0 is not allowed; use an integer from 1 to 10000000",
                assertThrows(IllegalArgumentException.class,
                        () -> load("topology: {sequencerClientsInMemory: 0}\n" + DBS)).getMessage());
        assertEquals("topology.resolverCacheMb: -1 is not allowed; use an integer from 0 to 100000",
                assertThrows(IllegalArgumentException.class, () -> load("topology: {resolverCacheMb: -1}\n" + DBS)).getMessage());
        assertEquals(4096, load("ignite: {embedded: {walArchiveMb: 4096}}\n" + DBS).ignite().walArchiveMb());
        assertEquals(1024, load("ignite: {embedded: {cachePartitions: 1024}}\n" + DBS).ignite().cachePartitions());
        assertEquals("ignite.embedded.cachePartitions: 65001 is not allowed; use an integer from 1 to 65000",
                assertThrows(IllegalArgumentException.class,
                        () -> load("ignite: {embedded: {cachePartitions: 65001}}\n" + DBS)).getMessage());
        assertEquals("ignite.embedded.walArchiveMb: 128 is not allowed; use an integer from 256 to 1048576",
                assertThrows(IllegalArgumentException.class,
                        () -> load("ignite: {embedded: {walArchiveMb: 128}}\n" + DBS)).getMessage());
        assertEquals("files.batchSize: 100001 is not allowed; use an integer from 1 to 100000",
                assertThrows(IllegalArgumentException.class, () -> load("files: {batchSize: 100001}\n" + DBS)).getMessage());
        assertEquals("files.batchSize: \"10\" is not allowed; give an integer",
                assertThrows(IllegalArgumentException.class, () -> load("files: {batchSize: \"10\"}\n" + DBS)).getMessage());
    }

    @Test
    void stormsProducerBatchingIsRefusedWithTheReason() throws Exception {
        String m = assertThrows(IllegalArgumentException.class,
                () -> load("topology: {storm: {topology.producer.batch.size: 10}}\n" + DBS)).getMessage();
        assertTrue(m.startsWith("topology.storm.topology.producer.batch.size: 10 is not allowed; leave it out or set 1."), m);
        assertTrue(m.contains("writer threads"), m);
        assertEquals(1, load("topology: {storm: {topology.producer.batch.size: 1}}\n" + DBS).topology().stormConfig()
                .get("topology.producer.batch.size"));
    }

    /** Every mapping of the file refuses a key it did not read: no section forgets to check. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("everyMapping")
    void everyMappingRefusesAKeyItDoesNotRead(String key, String yaml) throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load(yaml));
        assertTrue(e.getMessage().startsWith(key + ": unknown key; allowed here: "), e.getMessage());
    }

    static Stream<Arguments> everyMapping() {
        return Stream.of(
                Arguments.of("typo", "typo: 1\n" + DBS),
                Arguments.of("http.typo", "http: {typo: 1}\n" + DBS),
                Arguments.of("limits.typo", "limits: {typo: 1}\n" + DBS),
                Arguments.of("ignite.typo", "ignite: {typo: 1}\n" + DBS),
                Arguments.of("ignite.embedded.typo", "ignite: {embedded: {typo: 1}}\n" + DBS),
                Arguments.of("topology.typo", "topology: {typo: 1}\n" + DBS),
                Arguments.of("flume.typo", "flume: {typo: 1}\n" + DBS),
                Arguments.of("files.typo", "files: {typo: 1}\n" + DBS),
                Arguments.of("auth.typo", "auth: {mode: none, typo: 1}\n" + DBS),
                Arguments.of("rateLimit.typo", "rateLimit: {typo: 1}\n" + DBS),
                Arguments.of("retention.typo", "retention: {typo: 1d}\n" + DBS),
                Arguments.of("http.tls.typo", "http: {tls: {keyStore: k.p12, keyStorePasswordEnv: P, typo: 1}}\n" + DBS),
                Arguments.of("dbs.a.typo", "dbs: {a: {typo: 1, stores: {s: {}}}}\n"),
                Arguments.of("dbs.a.stores.s.typo", "dbs: {a: {stores: {s: {typo: 1}}}}\n"));
    }

    // ------------------------------------------------------------------ errors (IllegalArgumentException)

    static Stream<Arguments> invalidConfigs() {
        return Stream.of(
                // range checks: key, bad value, allowed range
                Arguments.of("http.port 70000", "http: {port: 70000}\n" + DBS,
                        List.of("http.port", "70000", "0 to 65535")),
                Arguments.of("http.port -1", "http: {port: -1}\n" + DBS,
                        List.of("http.port", "-1", "0 to 65535")),
                Arguments.of("http.maxChangesPerRequest 0", "http: {maxChangesPerRequest: 0}\n" + DBS,
                        List.of("http.maxChangesPerRequest", "0", "1 to 100000")),
                Arguments.of("http.maxBodyBytes 10", "http: {maxBodyBytes: 10}\n" + DBS,
                        List.of("http.maxBodyBytes", "10", "1024 to")),
                Arguments.of("topology.workers 0", "topology: {workers: 0}\n" + DBS,
                        List.of("topology.workers", "0", "1 to 1000")),
                Arguments.of("topology.workers 1001", "topology: {workers: 1001}\n" + DBS,
                        List.of("topology.workers", "1001", "1 to 1000")),
                Arguments.of("limits.maxValueDepth 0", "limits: {maxValueDepth: 0}\n" + DBS,
                        List.of("limits.maxValueDepth", "0", "1 to 900")),
                Arguments.of("limits.maxValueDepth 901", "limits: {maxValueDepth: 901}\n" + DBS,
                        List.of("limits.maxValueDepth", "901", "1 to 900")),
                Arguments.of("limits.maxKeyBytes 1", "limits: {maxKeyBytes: 1}\n" + DBS,
                        List.of("limits.maxKeyBytes", "1", "16 to")),
                Arguments.of("limits.maxRejectedValueBytes 100", "limits: {maxRejectedValueBytes: 100}\n" + DBS,
                        List.of("limits.maxRejectedValueBytes", "100", "256 to")),
                Arguments.of("ignite.cacheBackups 17", "ignite: {cacheBackups: 17}\n" + DBS,
                        List.of("ignite.cacheBackups", "17", "0 to 16")),

                // wrong types
                Arguments.of("http.maxConnections 1", "http: {maxConnections: 1}\n" + DBS,
                        List.of("http.maxConnections", "1", "2 to 1000000")),
                Arguments.of("http.headerTimeoutMs 0", "http: {headerTimeoutMs: 0}\n" + DBS,
                        List.of("http.headerTimeoutMs", "0", "100 to")),
                Arguments.of("http.bodyTimeoutMs 10", "http: {bodyTimeoutMs: 10}\n" + DBS,
                        List.of("http.bodyTimeoutMs", "10", "100 to")),
                Arguments.of("http.idleTimeoutMs -5", "http: {idleTimeoutMs: -5}\n" + DBS,
                        List.of("http.idleTimeoutMs", "-5", "100 to")),
                Arguments.of("http.maxBufferedBodyBytes under maxBodyBytes", "http: {maxBufferedBodyBytes: 1000}\n" + DBS,
                        List.of("http.maxBufferedBodyBytes", "1000", "http.maxBodyBytes", "4194304")),
                Arguments.of("http.maxBufferedBodyBytes fraction", "http: {maxBufferedBodyBytes: 1.5}\n" + DBS,
                        List.of("http.maxBufferedBodyBytes", "1.5", "give an integer")),
                Arguments.of("http.port as string", "http: {port: \"8080\"}\n" + DBS,
                        List.of("http.port", "8080", "give an integer")),
                Arguments.of("http.port fraction", "http: {port: 80.5}\n" + DBS,
                        List.of("http.port", "80.5", "give an integer")),
                Arguments.of("http.port over an int", "http: {port: 99999999999}\n" + DBS,
                        List.of("http.port", "99999999999", "give an integer")),
                Arguments.of("http.host number", "http: {host: 5}\n" + DBS,
                        List.of("http.host", "5", "give a string")),
                Arguments.of("http.host empty", "http: {host: \"\"}\n" + DBS,
                        List.of("http.host", "non-empty")),
                Arguments.of("http not a mapping", "http: 8080\n" + DBS,
                        List.of("http", "must be a mapping")),
                Arguments.of("ignite.embedded not a mapping", "ignite: {embedded: yes}\n" + DBS,
                        List.of("ignite.embedded", "must be a mapping")),
                Arguments.of("topology.storm not a mapping", "topology: {storm: [a]}\n" + DBS,
                        List.of("topology.storm", "must be a mapping")),

                // unknown keys
                Arguments.of("unknown key http.prot", "http: {prot: 8080}\n" + DBS,
                        List.of("http.prot", "unknown key", "host", "port", "maxBodyBytes", "maxChangesPerRequest",
                                "maxRequestsInFlight", "requestTimeoutMs", "retryAfterSeconds")),
                Arguments.of("unknown root key", "htpp: {port: 1}\n" + DBS,
                        List.of("htpp", "unknown key", "dataDir", "http", "limits", "ignite", "topology", "dbs")),
                Arguments.of("unknown key limits.maxDepth", "limits: {maxDepth: 3}\n" + DBS,
                        List.of("limits.maxDepth", "unknown key", "maxValueDepth")),
                Arguments.of("unknown key ignite.embedded.port", "ignite: {embedded: {port: 1}}\n" + DBS,
                        List.of("ignite.embedded.port", "unknown key", "discoveryPort")),
                Arguments.of("unknown key in a store", "dbs: {notes-app: {stores: {notes: {schemas: x}}}}\n",
                        List.of("dbs.notes-app.stores.notes.schemas", "unknown key", "schema", "policy", "cache")),
                Arguments.of("unknown key in a db", "dbs: {notes-app: {store: {notes: {}}}}\n",
                        List.of("dbs.notes-app.store", "unknown key", "stores")),

                // ignite
                Arguments.of("bad ignite.mode", "ignite: {mode: cluster}\n" + DBS,
                        List.of("ignite.mode", "cluster", "embedded", "remote")),
                Arguments.of("ignite.addresses empty", "ignite: {mode: remote, addresses: []}\n" + DBS,
                        List.of("ignite.addresses", "[]", "host:port")),
                Arguments.of("ignite.addresses nohost", "ignite: {mode: remote, addresses: [nohost]}\n" + DBS,
                        List.of("ignite.addresses", "nohost", "host:port", "1 to 65535")),
                Arguments.of("ignite.addresses port 0", "ignite: {mode: remote, addresses: [\"h:0\"]}\n" + DBS,
                        List.of("ignite.addresses", "h:0", "1 to 65535")),
                Arguments.of("ignite.addresses port 70000", "ignite: {mode: remote, addresses: [\"h:70000\"]}\n" + DBS,
                        List.of("ignite.addresses", "h:70000", "1 to 65535")),
                Arguments.of("ignite.addresses no host", "ignite: {mode: remote, addresses: [\":10800\"]}\n" + DBS,
                        List.of("ignite.addresses", ":10800", "host:port")),
                Arguments.of("ignite.addresses a string", "ignite: {mode: remote, addresses: nohost}\n" + DBS,
                        List.of("ignite.addresses", "nohost", "list")),
                Arguments.of("ignite.embedded.walMode", "ignite: {embedded: {walMode: NONE}}\n" + DBS,
                        List.of("ignite.embedded.walMode", "NONE", "FSYNC", "LOG_ONLY", "BACKGROUND")),

                // stores
                Arguments.of("bad policy foo", "dbs: {notes-app: {stores: {notes: {policy: foo}}}}\n",
                        List.of("dbs.notes-app.stores.notes.policy", "foo", "lww", "server-wins", "client-wins", "merge",
                                "custom:")),
                Arguments.of("custom policy without a class", "dbs: {notes-app: {stores: {notes: {policy: \"custom:\"}}}}\n",
                        List.of("dbs.notes-app.stores.notes.policy", "custom:")),
                Arguments.of("custom policy with a bad class name",
                        "dbs: {notes-app: {stores: {notes: {policy: \"custom:com.example.1Bad\"}}}}\n",
                        List.of("dbs.notes-app.stores.notes.policy", "custom:com.example.1Bad")),
                Arguments.of("policy in upper case", "dbs: {notes-app: {stores: {notes: {policy: LWW}}}}\n",
                        List.of("dbs.notes-app.stores.notes.policy", "LWW")),
                Arguments.of("bad cache name", "dbs: {notes-app: {stores: {notes: {cache: \"a/b\"}}}}\n",
                        List.of("dbs.notes-app.stores.notes.cache", "a/b")),
                Arguments.of("missing dbs", "http: {port: 8080}\n",
                        List.of("dbs", "is required")),
                Arguments.of("empty dbs", "dbs: {}\n",
                        List.of("dbs", "is required")),
                Arguments.of("db without stores", "dbs: {notes-app: {}}\n",
                        List.of("dbs.notes-app.stores", "is required")),
                Arguments.of("db with empty stores", "dbs: {notes-app: {stores: {}}}\n",
                        List.of("dbs.notes-app.stores", "is required")),
                Arguments.of("db not a mapping", "dbs: {notes-app: 3}\n",
                        List.of("dbs.notes-app", "must be a mapping")),
                Arguments.of("db name with /", "dbs: {\"a/b\": {stores: {notes: {}}}}\n",
                        List.of("dbs", "a/b", "db name", "[A-Za-z0-9._-]")),
                Arguments.of("db name with =", "dbs: {\"a=b\": {stores: {notes: {}}}}\n",
                        List.of("dbs", "a=b", "db name")),
                Arguments.of("store name with /", "dbs: {notes-app: {stores: {\"x/y\": {}}}}\n",
                        List.of("dbs.notes-app.stores", "x/y", "store name")),
                Arguments.of("store not a mapping", "dbs: {notes-app: {stores: {notes: 3}}}\n",
                        List.of("dbs.notes-app.stores.notes", "must be a mapping")),
                Arguments.of("dataDir empty", "dataDir: \"\"\n" + DBS,
                        List.of("dataDir", "non-empty")),
                Arguments.of("topology.name with a space", "topology: {name: \"my topo\"}\n" + DBS,
                        List.of("topology.name", "my topo")),

                // file-level
                Arguments.of("not a mapping", "- a\n- b\n",
                        List.of("must hold a YAML mapping")),
                Arguments.of("empty file", "",
                        List.of("must hold a YAML mapping")),
                Arguments.of("broken YAML", "http: {port: 80\n",
                        List.of("is not valid YAML")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidConfigs")
    void invalidConfigIsRefusedNamingKeyValueAndWhatIsAllowed(String name, String yaml, List<String> parts)
            throws IOException {
        Path file = write("test.yaml", yaml);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(file));
        assertContainsAll(e.getMessage(), parts.toArray(new String[0]));
    }

    @Test
    void unknownKeyMessageStartsWithTheKeyAndListsAllowedKeys() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load("http: {prot: 8080}\n" + DBS));
        assertEquals("http.prot: unknown key; allowed here: bodyTimeoutMs, corsOrigins, headerTimeoutMs, host,"
                + " idleTimeoutMs, maxBodyBytes, maxBufferedBodyBytes, maxChangesPerRequest, maxConnections,"
                + " maxRequestsInFlight, metrics, port, requestTimeoutMs, retryAfterSeconds, tls", e.getMessage());
    }

    @Test
    void httpMetricsIsOnByDefaultAndCanBeTurnedOff() throws IOException {
        assertTrue(load(DBS).http().metrics());
        assertFalse(load("http: {metrics: false}\n" + DBS).http().metrics());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load("http: {metrics: 1}\n" + DBS));
        assertTrue(e.getMessage().startsWith("http.metrics: "), e.getMessage());
    }

    @Test
    void topLevelStormKeysWithADotAreLeftToStormButOtherUnknownTopLevelKeysAreErrors() throws IOException {
        SyncConfig c = load("nimbus.seeds: [nimbus-1]\nstorm.zookeeper.servers: [zk-1]\n" + DBS);
        assertEquals(8080, c.http().port());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load("htp: {port: 1}\n" + DBS));
        assertEquals("htp: unknown key; allowed here: auth, dataDir, dbs, files, flume, http, ignite, kafka, limits, rateLimit,"
                + " retention, topology", e.getMessage());
    }

    @Test
    void kafkaIsOffByDefaultAndItsSettingsAreReadAndChecked() throws IOException {
        SyncConfig plain = load(DBS);
        assertFalse(plain.kafka().enabled());
        SyncConfig c = load("""
                kafka:
                  enabled: true
                  bootstrapServers: [kafka-1:9092, kafka-2:9092]
                  topic: "idbsync.{db}.changes"
                  rejectedTopic: idbsync.rejected
                  createTopics: false
                  partitions: 12
                  replicationFactor: 3
                  batchSize: 200
                  deliveryTimeoutMs: 20000
                  producer: {security.protocol: SASL_SSL, sasl.mechanism: PLAIN, compression.type: lz4, linger.ms: 10}
                """ + DBS);
        KafkaConfig k = c.kafka();
        assertTrue(k.enabled());
        assertEquals(List.of("kafka-1:9092", "kafka-2:9092"), k.bootstrapServers());
        assertEquals("idbsync.notes-app.changes", k.topicFor("notes-app"));
        assertEquals("idbsync.rejected", k.rejectedTopicFor("notes-app"));
        assertFalse(k.createTopics());
        assertEquals(12, k.partitions());
        assertEquals(3, k.replicationFactor());
        assertEquals(200, k.batchSize());
        assertEquals(20000, k.deliveryTimeoutMs());
        assertEquals("SASL_SSL", k.producer().get("security.protocol"));
        assertEquals("10", k.producer().get("linger.ms"));
        assertEquals(k.producer(), c.toBuilder().build().kafka().producer(), "toBuilder keeps the section");
    }

    @Test
    void kafkaSettingsAreCheckedNamingTheKey() throws IOException {
        assertEquals("kafka.bootstrapServers: [] is not allowed; list at least one host:port of a broker"
                        + " (or set kafka.enabled: false)",
                assertThrows(IllegalArgumentException.class, () -> load("kafka: {enabled: true}\n" + DBS)).getMessage());
        assertEquals("kafka.topic: \"changes/all\" is not allowed; a Kafka topic name has only [A-Za-z0-9._-],"
                        + " optionally with {db} for one topic per db",
                assertThrows(IllegalArgumentException.class, () -> load("kafka: {topic: changes/all}\n" + DBS)).getMessage());
        assertEquals("kafka.producer.acks: is set by the sink itself and may not be given here (acks=all and an"
                        + " idempotent producer are what the push's answer rests on)",
                assertThrows(IllegalArgumentException.class, () -> load("kafka: {producer: {acks: 1}}\n" + DBS)).getMessage());
        assertEquals("kafka.producer.bootstrap.servers: is set by the sink itself and may not be given here (use"
                        + " kafka.bootstrapServers)",
                assertThrows(IllegalArgumentException.class,
                        () -> load("kafka: {producer: {bootstrap.servers: x:1}}\n" + DBS)).getMessage());
        assertEquals("kafka.producer.linger.ms: soon is not allowed; use an integer from 0 to kafka.deliveryTimeoutMs - 1 (9999)",
                assertThrows(IllegalArgumentException.class, () -> load("kafka: {producer: {linger.ms: soon}}\n" + DBS)).getMessage());
        assertEquals("kafka.partitions: 0 is not allowed; use an integer from 1 to 10000",
                assertThrows(IllegalArgumentException.class, () -> load("kafka: {partitions: 0}\n" + DBS)).getMessage());
        assertEquals("kafka.replicationFactor: 0 is not allowed; use an integer from 1 to 32, or -1 for the brokers'"
                        + " default.replication.factor",
                assertThrows(IllegalArgumentException.class, () -> load("kafka: {replicationFactor: 0}\n" + DBS)).getMessage());
        assertEquals("kafka.rejectedTopic: \"t\" is kafka.topic as well; rejected changes need a topic of their own"
                        + " (or leave kafka.rejectedTopic out)",
                assertThrows(IllegalStateException.class, () -> load("kafka: {topic: t, rejectedTopic: t}\n" + DBS)).getMessage());
        assertEquals("kafka.typo: unknown key; allowed here: batchSize, bootstrapServers, createTopics, deliveryTimeoutMs,"
                        + " enabled, partitions, producer, rejectedTopic, replicationFactor, topic",
                assertThrows(IllegalArgumentException.class, () -> load("kafka: {typo: 1}\n" + DBS)).getMessage());
    }

    @Test
    void flumeSettingsAreCheckedNamingTheKey() throws IOException {
        assertEquals("flume.agents: [] is not allowed; list at least one host:port of an agent's Avro source"
                        + " (or set flume.enabled: false)",
                assertThrows(IllegalArgumentException.class, () -> load("flume: {enabled: true, agents: []}\n" + DBS)).getMessage());
        assertEquals("flume.agents: \"nohost\" is not allowed; use host:port with a port from 1 to 65535",
                assertThrows(IllegalArgumentException.class, () -> load("flume: {enabled: true, agents: [nohost]}\n" + DBS)).getMessage());
        assertEquals("flume.batchSize: 0 is not allowed; use an integer from 1 to 100000",
                assertThrows(IllegalArgumentException.class, () -> load("flume: {enabled: true, batchSize: 0}\n" + DBS)).getMessage());
        assertEquals("flume.requestTimeoutMs: 500 is not allowed; use an integer from 1000 to 600000",
                assertThrows(IllegalArgumentException.class, () -> load("flume: {requestTimeoutMs: 500}\n" + DBS)).getMessage());
        assertEquals("flume.selector: \"random\" is not allowed; use failover or load_balance",
                assertThrows(IllegalArgumentException.class, () -> load("flume: {selector: random}\n" + DBS)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> load("flume: {embeddedAgent: nope.properties}\n" + DBS))
                .getMessage().startsWith("flume.embeddedAgent: \"nope.properties\" cannot be read"));
        SyncConfig off = load("flume: {enabled: false, agents: []}\n" + DBS);
        assertFalse(off.flume().enabled());
        SyncConfig two = load("flume: {enabled: true, agents: [a:1, b:2], selector: load_balance}\n" + DBS);
        assertEquals(List.of("a:1", "b:2"), two.flume().agents());
        assertEquals(FlumeConfig.Selector.LOAD_BALANCE, two.flume().selector());
    }

    @Test
    void corsOriginsAreOriginsOrAStar() throws IOException {
        assertEquals(List.of("https://app.example.com", "http://localhost:3000"),
                load("http: {corsOrigins: [https://app.example.com, 'http://localhost:3000']}\n" + DBS).http().corsOrigins());
        assertEquals(List.of(), load(DBS).http().corsOrigins(), "same origin only by default");
        assertEquals("http.corsOrigins: \"app.example.com/x\" is not allowed; give origins such as https://app.example.com"
                        + " or http://localhost:3000 (scheme, host, optional port), or *",
                assertThrows(IllegalArgumentException.class, () -> load("http: {corsOrigins: [app.example.com/x]}\n" + DBS))
                        .getMessage());
    }

    @Test
    void fileSinkSettingsAreCheckedNamingTheKey() throws IOException {
        assertEquals("files.rollIntervalMs: 10 is not allowed; use an integer from 100 to 86400000",
                assertThrows(IllegalArgumentException.class, () -> load("files: {rollIntervalMs: 10}\n" + DBS)).getMessage());
        assertEquals("files.rollLines: 0 is not allowed; use an integer from 1 to 1000000000",
                assertThrows(IllegalArgumentException.class, () -> load("files: {rollLines: 0}\n" + DBS)).getMessage());
        SyncConfig c = load("dataDir: /tmp/x\nfiles: {enabled: true}\n" + DBS);
        assertEquals("/tmp/x", c.filesRoot(), "the files go under the data dir unless files.dir says otherwise");
        assertEquals("/srv/shared", load("files: {enabled: true, dir: /srv/shared}\n" + DBS).filesRoot());
    }

    @Test
    void portMessageHasTheCheckShape() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load("http: {port: 70000}\n" + DBS));
        assertEquals("http.port: 70000 is not allowed; use an integer from 0 to 65535", e.getMessage());
    }

    @Test
    void missingConfigFileIsNamed() {
        Path missing = dir.resolve("nope.yaml");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(missing));
        assertContainsAll(e.getMessage(), missing.toString(), "does not exist");
    }

    @Test
    void missingSchemaFileNamesThePath() throws IOException {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load("""
                dbs:
                  notes-app:
                    stores:
                      notes: {schema: schemas/missing.schema.json}
                """));
        assertContainsAll(e.getMessage(), "dbs.notes-app.stores.notes.schema", "schemas/missing.schema.json",
                dir.resolve("schemas/missing.schema.json").toString());
    }

    @Test
    void schemaFileThatIsNotJsonIsRefused() throws IOException {
        write("bad.schema.json", "type: object\nrequired: [title]\n");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load("""
                dbs:
                  notes-app:
                    stores:
                      notes: {schema: bad.schema.json}
                """));
        assertContainsAll(e.getMessage(), "dbs.notes-app.stores.notes.schema", "bad.schema.json", "not valid JSON");
    }

    @Test
    void schemaFileThatIsAJsonArrayIsRefused() throws IOException {
        write("array.schema.json", "[{\"type\": \"object\"}]");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load("""
                dbs:
                  notes-app:
                    stores:
                      notes: {schema: array.schema.json}
                """));
        assertContainsAll(e.getMessage(), "dbs.notes-app.stores.notes.schema", "array.schema.json", "JSON object");
    }

    @Test
    void schemaFileThatIsEmptyIsRefused() throws IOException {
        write("empty.schema.json", "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> load("""
                dbs:
                  notes-app:
                    stores:
                      notes: {schema: empty.schema.json}
                """));
        assertContainsAll(e.getMessage(), "dbs.notes-app.stores.notes.schema", "empty.schema.json");
    }

    /**
     * SyncConfig refuses a store configured twice; a YAML file that names one store twice must not
     * slip past that by letting the last mapping silently replace the first (here: policy merge
     * silently becoming lww).
     */
    @Test
    void storeNamedTwiceInTheFileIsRefused() throws IOException {
        Path file = write("test.yaml", """
                dbs:
                  a:
                    stores:
                      s: {policy: merge}
                      s: {}
                """);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ConfigLoader.load(file));
        assertTrue(e.getMessage().toLowerCase().matches("(?s).*(duplicate|twice).*"), e.getMessage());
    }

    // ------------------------------------------------------------------ contradictions (IllegalStateException)

    @Test
    void embeddedModeWithNonLoopbackAddressIsAContradiction() throws IOException {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> load("ignite: {mode: embedded, addresses: [\"10.0.0.5:10800\"]}\n" + DBS));
        assertContainsAll(e.getMessage(), "ignite.addresses", "10.0.0.5:10800", "ignite.mode: embedded", "127.0.0.1");
    }

    @Test
    void embeddedModeIsTheDefaultSoANonLoopbackAddressAloneIsAContradiction() throws IOException {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> load("ignite: {addresses: [\"db.example:10800\"]}\n" + DBS));
        assertContainsAll(e.getMessage(), "ignite.addresses", "db.example:10800");
    }

    @Test
    void embeddedModeWithTwoAddressesIsAContradiction() throws IOException {
        assertThrows(IllegalStateException.class,
                () -> load("ignite: {mode: embedded, addresses: [\"127.0.0.1:10800\", \"127.0.0.1:10801\"]}\n" + DBS));
    }

    @Test
    void remoteModeAcceptsAnyHost() throws IOException {
        SyncConfig c = load("ignite: {mode: remote, addresses: [\"10.0.0.5:10800\"]}\n" + DBS);
        assertEquals(IgniteConfig.Mode.REMOTE, c.ignite().mode());
    }

    @Test
    void twoStoresSharingACacheAreAContradiction() throws IOException {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> load("""
                dbs:
                  notes-app:
                    stores:
                      notes: {cache: shared}
                      todos: {cache: shared}
                """));
        assertContainsAll(e.getMessage(), "dbs.notes-app.stores.todos.cache", "shared", "notes-app/notes");
    }

    @Test
    void explicitCacheCollidingWithAnotherStoresDefaultIsAContradiction() throws IOException {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> load("""
                dbs:
                  notes-app:
                    stores:
                      notes: {}
                      todos: {cache: notes-app.notes}
                """));
        assertContainsAll(e.getMessage(), "dbs.notes-app.stores.todos.cache", "notes-app.notes");
    }

    @Test
    void storeCacheEqualToTheOutcomesCacheIsAContradiction() throws IOException {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> load("""
                dbs:
                  notes-app:
                    stores:
                      notes: {cache: idbsync_outcomes}
                """));
        assertContainsAll(e.getMessage(), "dbs.notes-app.stores.notes.cache", "idbsync_outcomes", "ignite.outcomesCache");
    }

    @Test
    void sameStoreNameInTwoDbsIsFine() throws IOException {
        SyncConfig c = load("""
                dbs:
                  a: {stores: {notes: {}}}
                  b: {stores: {notes: {}}}
                """);
        assertEquals("a.notes", c.store("a", "notes").cache());
        assertEquals("b.notes", c.store("b", "notes").cache());
        assertFalse(c.store("a", "notes").cache().equals(c.store("b", "notes").cache()));
    }

    // ------------------------------------------------------------------ auth, rateLimit, http.tls (issue 12)

    @Test
    void noAuthSectionIsAuthOffAndNotConfigured() throws IOException {
        AuthConfig a = load(DBS).auth();
        assertEquals(AuthConfig.Mode.NONE, a.mode());
        assertFalse(a.configured());
        assertFalse(a.enabled());
        assertEquals("scope", a.grantsClaim());
        assertEquals(60, a.clockSkewSeconds());
    }

    @Test
    void authModeNoneGivenExplicitlyIsConfigured() throws IOException {
        AuthConfig a = load("auth: {mode: none}\n" + DBS).auth();
        assertEquals(AuthConfig.Mode.NONE, a.mode());
        assertTrue(a.configured());
        assertFalse(a.enabled());
    }

    @Test
    void authJwtWithAnHs256SecretEnv() throws IOException {
        AuthConfig a = load("auth: {mode: jwt, hs256SecretEnv: IDBSYNC_JWT_SECRET}\n" + DBS).auth();
        assertEquals(AuthConfig.Mode.JWT, a.mode());
        assertTrue(a.configured());
        assertTrue(a.enabled());
        assertEquals("IDBSYNC_JWT_SECRET", a.hs256SecretEnv());
        assertNull(a.jwksFile());
        assertNull(a.jwksUrl());
        assertNull(a.issuer());
        assertNull(a.audience());
    }

    @Test
    void authJwtWithAJwksUrlAndEveryKey() throws IOException {
        AuthConfig a = load("""
                auth:
                  mode: jwt
                  jwksUrl: https://login.example.com/.well-known/jwks.json
                  issuer: https://login.example.com/
                  audience: idbsync
                  grantsClaim: permissions
                  clockSkewSeconds: 30
                """ + DBS).auth();
        assertEquals("https://login.example.com/.well-known/jwks.json", a.jwksUrl());
        assertEquals("https://login.example.com/", a.issuer());
        assertEquals("idbsync", a.audience());
        assertEquals("permissions", a.grantsClaim());
        assertEquals(30, a.clockSkewSeconds());
    }

    @Test
    void authJwksFileIsResolvedAgainstTheConfigFile() throws IOException {
        AuthConfig a = load("auth: {mode: jwt, jwksFile: keys/jwks.json}\n" + DBS).auth();
        assertEquals(dir.resolve("keys/jwks.json").toAbsolutePath().normalize().toString(), a.jwksFile());
    }

    @Test
    void authJwtNeedsExactlyOneKeySource() throws IOException {
        IllegalStateException none = assertThrows(IllegalStateException.class, () -> load("auth: {mode: jwt}\n" + DBS));
        assertContainsAll(none.getMessage(), "auth: mode jwt needs exactly one key source, none is given",
                "auth.hs256SecretEnv", "auth.jwksFile", "auth.jwksUrl");
        IllegalStateException two = assertThrows(IllegalStateException.class,
                () -> load("auth: {mode: jwt, hs256SecretEnv: S, jwksUrl: 'https://x.example.com/jwks'}\n" + DBS));
        assertContainsAll(two.getMessage(), "exactly one key source, 2 are given");
    }

    @Test
    void authModeNoneTakesNoOtherKey() throws IOException {
        for (String extra : List.of("hs256SecretEnv: S", "jwksUrl: 'https://x.example.com/jwks'", "issuer: x",
                "audience: y", "grantsClaim: perms", "clockSkewSeconds: 5")) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> load("auth: {mode: none, " + extra + "}\n" + DBS), extra);
            assertContainsAll(e.getMessage(), "auth: mode none takes no other key", "auth.mode: jwt");
        }
    }

    @Test
    void authValuesAreChecked() throws IOException {
        assertEquals("auth.mode: \"basic\" is not allowed; use none or jwt", assertThrows(IllegalArgumentException.class,
                () -> load("auth: {mode: basic}\n" + DBS)).getMessage());
        assertContainsAll(assertThrows(IllegalArgumentException.class, () -> load("auth: {}\n" + DBS)).getMessage(),
                "auth.mode: is required", "jwt", "none");
        assertContainsAll(assertThrows(IllegalArgumentException.class,
                () -> load("auth: {mode: jwt, hs256SecretEnv: 'abc def secret'}\n" + DBS)).getMessage(),
                "auth.hs256SecretEnv", "name of an environment variable");
        assertContainsAll(assertThrows(IllegalArgumentException.class,
                () -> load("auth: {mode: jwt, jwksUrl: 'ftp://x/jwks'}\n" + DBS)).getMessage(),
                "auth.jwksUrl", "ftp://x/jwks", "https URL");
        assertEquals("auth.clockSkewSeconds: 601 is not allowed; use an integer from 0 to 600",
                assertThrows(IllegalArgumentException.class,
                        () -> load("auth: {mode: jwt, hs256SecretEnv: S, clockSkewSeconds: 601}\n" + DBS)).getMessage());
        assertContainsAll(assertThrows(IllegalArgumentException.class,
                () -> load("auth: {mode: jwt, hs256SecretEnv: S, grantsClaim: ''}\n" + DBS)).getMessage(),
                "auth.grantsClaim");
    }

    @Test
    void rateLimitIsOffByDefaultAndItsBurstDefaultsToTwoSeconds() throws IOException {
        RateLimitConfig off = load(DBS).rateLimit();
        assertFalse(off.enabled());
        assertEquals(0, off.requestsPerSecond());

        RateLimitConfig on = load("rateLimit: {requestsPerSecond: 50}\n" + DBS).rateLimit();
        assertTrue(on.enabled());
        assertEquals(50, on.requestsPerSecond());
        assertEquals(100, on.burst());

        assertEquals(7, load("rateLimit: {requestsPerSecond: 1, burst: 7}\n" + DBS).rateLimit().burst());
        assertEquals(2, RateLimitConfig.of(1).burst());
    }

    @Test
    void retentionIsOnByDefaultAndTakesDurationsWithUnits() throws IOException {
        RetentionConfig d = load(DBS).retention();
        assertTrue(d.enabled());
        assertEquals(30 * RetentionConfig.DAY_MS, d.feedMs());
        assertEquals(30 * RetentionConfig.DAY_MS, d.tombstonesMs());
        assertEquals(60_000, d.sweepEveryMs());

        RetentionConfig r = load("retention: {feed: 12h, tombstones: 90d, sweepEvery: 500ms}\n" + DBS).retention();
        assertEquals(12 * 3_600_000L, r.feedMs());
        assertEquals(90 * RetentionConfig.DAY_MS, r.tombstonesMs());
        assertEquals(500, r.sweepEveryMs());
        assertEquals(7 * RetentionConfig.DAY_MS, load("retention: {feed: 7d}\n" + DBS).retention().tombstonesMs(),
                "tombstones default to the feed's horizon");
        assertFalse(load("retention: {enabled: false}\n" + DBS).retention().enabled());
        assertEquals("2h", RetentionConfig.format(7_200_000));
    }

    @Test
    void retentionValuesAreChecked() throws IOException {
        assertEquals("retention.feed: \"30 days\" is not a duration; give a number and a unit, one of ms, s, m, h, d, e.g. \"30d\"",
                assertThrows(IllegalArgumentException.class, () -> load("retention: {feed: 30 days}\n" + DBS)).getMessage());
        assertEquals("retention.feed: 30 is not allowed; give a string",
                assertThrows(IllegalArgumentException.class, () -> load("retention: {feed: 30}\n" + DBS)).getMessage());
        assertEquals("retention.feed: 500ms is not allowed; give a duration from 1s to 3650d",
                assertThrows(IllegalArgumentException.class, () -> load("retention: {feed: 500ms}\n" + DBS)).getMessage());
        assertContainsAll(assertThrows(IllegalStateException.class,
                        () -> load("retention: {feed: 30d, tombstones: 7d}\n" + DBS)).getMessage(),
                "retention.tombstones: 7d is shorter than retention.feed (30d)", "at least as long as the feed");
    }

    @Test
    void theClientHorizonIsOptInAndOutlivesWhatIsKeptOfAClientsChanges() throws IOException {
        RetentionConfig d = load(DBS).retention();
        assertEquals(0, d.markHorizonMs(), "marks are kept for good unless a horizon is given");
        assertEquals(0, d.ownerHorizonMs());

        RetentionConfig r = load("retention: {clients: 90d}\n" + DBS).retention();
        assertEquals(90 * RetentionConfig.DAY_MS, r.markHorizonMs());
        assertEquals(180 * RetentionConfig.DAY_MS, r.ownerHorizonMs(), "an owner outlives its client's mark");
        assertEquals(0, load("retention: {enabled: false, clients: 90d}\n" + DBS).retention().markHorizonMs(),
                "retention off removes nothing");

        assertEquals("retention.clients: 30m is not allowed; give a duration from 1h to 3650d",
                assertThrows(IllegalArgumentException.class, () -> load("retention: {clients: 30m}\n" + DBS)).getMessage());
        // the defaults keep outcomes 7 days and rejected changes 30 days
        assertContainsAll(assertThrows(IllegalArgumentException.class,
                        () -> load("retention: {clients: 10d}\n" + DBS)).getMessage(),
                "retention.clients: 10d is shorter than", "ignite.rejectedRetentionHours 720", "give at least 30d");
        assertEquals(2 * 3_600_000L, load("ignite: {outcomeRetentionHours: 1, rejectedRetentionHours: 2}\n"
                + "retention: {clients: 2h}\n" + DBS).retention().markHorizonMs());
    }

    @Test
    void rateLimitValuesAreChecked() throws IOException {
        assertEquals("rateLimit.requestsPerSecond: -1 is not allowed; use an integer from 0 to 1000000",
                assertThrows(IllegalArgumentException.class,
                        () -> load("rateLimit: {requestsPerSecond: -1}\n" + DBS)).getMessage());
        assertEquals("rateLimit.burst: 0 is not allowed; use an integer from 1 to 10000000",
                assertThrows(IllegalArgumentException.class,
                        () -> load("rateLimit: {requestsPerSecond: 5, burst: 0}\n" + DBS)).getMessage());
        assertContainsAll(assertThrows(IllegalStateException.class,
                () -> load("rateLimit: {burst: 10}\n" + DBS)).getMessage(),
                "rateLimit.burst", "rateLimit.requestsPerSecond");
    }

    @Test
    void tlsIsAbsentByDefaultAndReadWhenGiven() throws IOException {
        assertNull(load(DBS).http().tls());
        TlsConfig t = load("http: {tls: {keyStore: tls/server.p12, keyStorePasswordEnv: IDBSYNC_KEYSTORE_PASSWORD}}\n"
                + DBS).http().tls();
        assertEquals(dir.resolve("tls/server.p12").toAbsolutePath().normalize().toString(), t.keyStore());
        assertEquals("IDBSYNC_KEYSTORE_PASSWORD", t.keyStorePasswordEnv());
        assertEquals("PKCS12", t.keyStoreType());
        assertEquals("JKS", load("http: {tls: {keyStore: k.jks, keyStorePasswordEnv: P, keyStoreType: JKS}}\n" + DBS)
                .http().tls().keyStoreType());
        assertEquals(t, load("http: {tls: {keyStore: tls/server.p12, keyStorePasswordEnv: IDBSYNC_KEYSTORE_PASSWORD}}\n"
                + DBS).http().toBuilder().build().tls(), "toBuilder keeps tls");
    }

    @Test
    void tlsValuesAreChecked() throws IOException {
        assertContainsAll(assertThrows(IllegalArgumentException.class,
                () -> load("http: {tls: {keyStorePasswordEnv: P}}\n" + DBS)).getMessage(),
                "http.tls.keyStore: is required");
        assertContainsAll(assertThrows(IllegalArgumentException.class,
                () -> load("http: {tls: {keyStore: k.p12}}\n" + DBS)).getMessage(),
                "http.tls.keyStorePasswordEnv: missing is not allowed");
        assertEquals("http.tls.keyStoreType: \"PEM\" is not allowed; use PKCS12 or JKS",
                assertThrows(IllegalArgumentException.class,
                        () -> load("http: {tls: {keyStore: k, keyStorePasswordEnv: P, keyStoreType: PEM}}\n" + DBS))
                        .getMessage());
    }

    @Test
    void authRateLimitAndTlsSurviveSerializationAndToBuilder() throws Exception {
        SyncConfig c = load("""
                auth: {mode: jwt, jwksUrl: 'https://login.example.com/jwks', issuer: iss, audience: aud}
                rateLimit: {requestsPerSecond: 10}
                http: {tls: {keyStore: k.p12, keyStorePasswordEnv: P}}
                """ + DBS);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(c);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            SyncConfig back = (SyncConfig) in.readObject();
            assertEquals(c.auth(), back.auth());
            assertEquals(c.rateLimit(), back.rateLimit());
            assertEquals(c.http().tls(), back.http().tls());
        }
        SyncConfig rebuilt = c.toBuilder().build();
        assertEquals(c.auth(), rebuilt.auth());
        assertEquals(c.rateLimit(), rebuilt.rateLimit());
    }
}
