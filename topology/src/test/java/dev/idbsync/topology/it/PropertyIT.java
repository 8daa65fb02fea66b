package dev.idbsync.topology.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A seeded property test over the real stack: N clients push M changes each over K keys, in
 * randomly cut batches, resend some batches at random, and Ignite writes fail at random. At the
 * end every (db, clientId, seq) has exactly one outcome, equal to what its client was told;
 * every record's versions are 1..n with no gap or double, n being its number of accepted writes;
 * and each record holds the value of its last accepted write. Rerun a failure with
 * {@code -Dproperty.seed=<seed>}.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PropertyIT {
    private static final int CLIENTS = 4;
    private static final int CHANGES = 60;
    private static final int KEYS = 6;
    private static final double FAIL_RATE = 0.05;
    private static final String CACHE = "notes-app.notes";

    @TempDir
    static Path dir;
    private TestStack stack;
    private Path flags;
    private final long seed = Long.getLong("property.seed", System.nanoTime());

    @BeforeAll
    void start() throws Exception {
        flags = Files.createDirectories(dir.resolve("flags"));
        stack = TestStack.start(TestStack.localConfig(dir.resolve("data"), b -> b), ic -> new FaultyIgniteFactory(ic, flags));
    }

    @AfterAll
    void stop() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void everyChangeHasOneOutcomeAndVersionsAreContiguous() throws Exception {
        System.out.println("PropertyIT seed=" + seed + " (rerun with -Dproperty.seed=" + seed + ")");
        Files.writeString(FaultyIgniteFactory.failRate(flags), Double.toString(FAIL_RATE));
        List<Client> clients = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<?>> runs = new ArrayList<>();
            for (int i = 0; i < CLIENTS; i++) {
                Client c = new Client("prop-" + i, new Random(seed + i));
                clients.add(c);
                runs.add(pool.submit(() -> {
                    c.run();
                    return null;
                }));
            }
            for (Future<?> f : runs) {
                f.get(240, TimeUnit.SECONDS);
            }
        } catch (Exception e) {
            throw new AssertionError("seed=" + seed + ": a client did not finish", e);
        } finally {
            pool.shutdownNow();
            Files.deleteIfExists(FaultyIgniteFactory.failRate(flags));
        }

        // 1. every change has exactly one stored outcome, and it is what its client was told
        Set<String> ids = new HashSet<>();
        clients.forEach(c -> c.told.keySet().forEach(s -> ids.add("notes-app/" + c.id + "/" + s)));
        assertEquals(CLIENTS * CHANGES, ids.size(), "seed=" + seed);
        Map<String, String> outcomes = stack.reader().<String, String>cache("idbsync_outcomes").getAll(ids);
        Map<String, TreeMap<Long, Change>> appliedByKey = new HashMap<>();
        for (Client c : clients) {
            for (Map.Entry<Long, JsonNode> e : c.told.entrySet()) {
                String id = "notes-app/" + c.id + "/" + e.getKey();
                String stored = outcomes.get(id);
                assertNotNull(stored, "seed=" + seed + ": no outcome for " + id);
                JsonNode o = Json.MAPPER.readTree(stored);
                assertEquals(o.get("status").asText(), e.getValue().get("status").asText(), "seed=" + seed + " " + id);
                assertEquals(o.path("version").asLong(-1), e.getValue().path("version").asLong(-1), "seed=" + seed + " " + id);
                if (o.get("status").asText().equals("applied")) {
                    Change ch = c.sent.get(e.getKey());
                    Change prev = appliedByKey.computeIfAbsent(ch.key, k -> new TreeMap<>()).put(o.get("version").asLong(), ch);
                    assertTrue(prev == null, "seed=" + seed + ": version " + o.get("version") + " of " + ch.key + " given twice");
                }
            }
        }
        // 2. versions 1..n without gaps; 3. the record holds its last accepted write
        for (Map.Entry<String, TreeMap<Long, Change>> e : appliedByKey.entrySet()) {
            TreeMap<Long, Change> versions = e.getValue();
            assertEquals(versions.size(), versions.lastKey(), "seed=" + seed + ": versions of " + e.getKey() + " have a gap: "
                    + versions.keySet());
            JsonNode rec = Json.MAPPER.readTree(stack.record(CACHE, Json.MAPPER.writeValueAsString(e.getKey())));
            assertEquals(versions.lastKey().longValue(), rec.get("version").asLong(), "seed=" + seed + " " + e.getKey());
            Change last = versions.lastEntry().getValue();
            if (last.value == null) {
                assertEquals("delete", rec.get("op").asText(), "seed=" + seed + " " + e.getKey());
            } else {
                assertEquals(last.value, rec.get("value"), "seed=" + seed + " " + e.getKey());
            }
        }
    }

    private record Change(long seq, String key, ObjectNode value, long baseVersion, long ts) {
    }

    /** One simulated browser: sends its changes in order, retries, and remembers what it was told. */
    private final class Client {
        final String id;
        final Random rnd;
        final Map<Long, Change> sent = new HashMap<>();
        final Map<Long, JsonNode> told = new TreeMap<>();
        final Map<String, Long> known = new HashMap<>();
        long nextSeq = 1;

        Client(String id, Random rnd) {
            this.id = id;
            this.rnd = rnd;
        }

        void run() throws Exception {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(200);
            while (nextSeq <= CHANGES) {
                if (System.nanoTime() > deadline) {
                    fail("seed=" + seed + ": client " + id + " stuck at seq " + nextSeq);
                }
                List<Change> batch = new ArrayList<>();
                for (long s = nextSeq; s < nextSeq + 1 + rnd.nextInt(8) && s <= CHANGES; s++) {
                    batch.add(sent.computeIfAbsent(s, this::make));
                }
                Http.Answer a = stack.http.push(body(batch));
                if (a.status() == 503) {
                    Thread.sleep(20);
                    continue;
                }
                assertEquals(200, a.status(), "seed=" + seed + " " + a);
                boolean stop = false;
                for (JsonNode r : a.results()) {
                    long s = r.get("seq").asLong();
                    switch (r.get("status").asText()) {
                        case "applied", "conflict", "rejected" -> learn(s, r);
                        case "duplicate" -> learn(s, firstOf(r));
                        case "pending" -> stop = true;
                        case "out_of_order" -> {
                            nextSeq = r.get("expectedSeq").asLong();
                            stop = true;
                        }
                        default -> fail("seed=" + seed + ": unexpected " + r);
                    }
                    if (stop) {
                        break;
                    }
                }
                if (stop) {
                    Thread.sleep(20);
                    continue;
                }
                nextSeq = batch.get(batch.size() - 1).seq + 1;
                if (rnd.nextDouble() < 0.15) {
                    Http.Answer again = stack.http.push(body(batch));
                    if (again.status() == 200) {
                        for (JsonNode r : again.results()) {
                            assertEquals("duplicate", r.get("status").asText(), "seed=" + seed + " " + again);
                            JsonNode first = told.get(r.get("seq").asLong());
                            assertEquals(first.get("status").asText(), r.get("first").asText(), "seed=" + seed);
                            assertEquals(first.path("version").asLong(-1), r.path("version").asLong(-1), "seed=" + seed);
                        }
                    }
                }
            }
        }

        private void learn(long seq, JsonNode r) {
            JsonNode prev = told.putIfAbsent(seq, r);
            if (prev != null) {
                assertEquals(prev.get("status").asText(), r.get("status").asText(), "seed=" + seed + ": " + id + "/" + seq);
            }
            if (r.has("version")) {
                known.merge(sent.get(seq).key, r.get("version").asLong(), Math::max);
            }
            if (seq >= nextSeq) {
                nextSeq = seq + 1;
            }
        }

        private JsonNode firstOf(JsonNode dup) {
            ObjectNode r = dup.deepCopy();
            r.set("status", dup.get("first"));
            r.remove("first");
            return r;
        }

        private Change make(long seq) {
            String key = "k" + rnd.nextInt(KEYS);
            ObjectNode value = null;
            if (rnd.nextDouble() >= 0.15) {
                value = Json.MAPPER.createObjectNode();
                if (rnd.nextDouble() >= 0.05) {
                    value.put("title", id + " #" + seq); // else: no title, rejected by the schema
                }
            }
            return new Change(seq, key, value, known.getOrDefault(key, 0L), 1_763_740_000_000L + seq * 1000 + rnd.nextInt(5000));
        }

        private String body(List<Change> batch) {
            ObjectNode root = Json.MAPPER.createObjectNode().put("db", "notes-app").put("clientId", id)
                    .put("sentAt", System.currentTimeMillis());
            var arr = root.putArray("changes");
            for (Change c : batch) {
                ObjectNode n = arr.addObject().put("seq", c.seq).put("store", "notes").put("key", c.key)
                        .put("op", c.value == null ? "delete" : "put").put("baseVersion", c.baseVersion).put("ts", c.ts);
                if (c.value != null) {
                    n.set("value", c.value);
                }
            }
            return root.toString();
        }
    }
}
