package dev.idbsync.topology.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.storm.GroupCommitBolt;
import dev.idbsync.config.FlumeConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Json;
import dev.idbsync.testkit.Ports;
import dev.idbsync.topology.EmbeddedFlumeAgent;
import dev.idbsync.topology.SyncTopology;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.storm.metrics2.reporters.CsvStormReporter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A slow (not dead) Flume agent under sustained load from concurrent clients: every group-commit
 * bolt (resolver, Flume bridge, file sink) holds no more tuples than its bound, read from the
 * tasks' {@value GroupCommitBolt#HELD_GAUGE} gauges through Storm's own CSV metrics reporter;
 * the JVM's live heap stays under {@link #LIVE_HEAP_LIMIT_MB} MB; pushes that cannot be made
 * durable in time get 503 with Retry-After, never a hang; and once the agent is fast again and
 * every client has resent its 503'd push until 200, every acknowledged change is in Ignite (at
 * the version it was answered with, versions 1..n per record, so none applied twice), in Flume
 * and in the files.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OverloadIT {
    /** Live heap (after the last GC, all heap pools) the test JVM must stay under; it runs with -Xmx1g. */
    static final long LIVE_HEAP_LIMIT_MB = 256;
    private static final int CLIENTS = 8;
    private static final int CHANGES_PER_PUSH = 100;
    private static final int KEYS_PER_CLIENT = 10;
    private static final long LOAD_MS = 35_000;
    private static final int REQUEST_TIMEOUT_MS = 4000;
    private static final Pattern EVENT_ID = Pattern.compile("(?:^|, )eventId=([^,]+)");
    private static final Pattern FLUME_LINE = Pattern.compile("^\\{(.*)} (.*)$");

    @TempDir
    static Path dir;
    private TestStack stack;
    private EmbeddedFlumeAgent agent;

    @AfterAll
    void stop() throws Exception {
        if (agent != null) {
            agent.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aSlowSinkUnderSustainedLoadKeepsEveryQueueBoundedAndLosesNothingAcknowledged() throws Exception {
        int flumePort = Ports.free();
        Path metrics = dir.resolve("metrics");
        Path agentDir = dir.resolve("agent");
        SyncConfig config = TestStack.localConfig(dir.resolve("data"), b -> {
            SyncConfig base = b.build();
            return b.http(base.http().toBuilder().requestTimeoutMs(REQUEST_TIMEOUT_MS).build())
                    .topology(base.topology().toBuilder().maxSpoutPending(1000).messageTimeoutSecs(5).igniteBatchSize(100)
                            .stormConfig(Map.of("topology.metrics.reporters", List.of(Map.of(
                                    "class", CsvStormReporter.class.getName(),
                                    "report.period", 1, "report.period.units", "SECONDS",
                                    CsvStormReporter.CSV_LOG_DIR, metrics.toString())))).build())
                    .flume(FlumeConfig.builder().enabled(true).agents(List.of("127.0.0.1:" + flumePort))
                            .batchSize(50).connectTimeoutMs(1000).requestTimeoutMs(3000).build())
                    .files(base.files().toBuilder().dir(dir.resolve("files").toString()).rollIntervalMs(1000).build());
        });
        agent = EmbeddedFlumeAgent.start(TestStack.repoRoot().resolve("topology/src/test/resources/flume/overload-agent.properties"),
                agentDir, flumePort);
        stack = TestStack.start(config, ic -> new dev.idbsync.ignite.ThinClientFactory(ic));

        HeapWatch heap = new HeapWatch();
        heap.start();
        List<Client> clients = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            clients.add(new Client("ov-" + i));
        }
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            // Load: each client pushes 100 changes at a time, resending a 503'd push at once.
            long loadEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(LOAD_MS);
            List<Future<?>> load = new ArrayList<>();
            for (Client c : clients) {
                load.add(pool.submit(() -> c.run(loadEnd, false)));
            }
            for (Future<?> f : load) {
                f.get(LOAD_MS + 60_000, TimeUnit.MILLISECONDS);
            }
            int served = clients.stream().mapToInt(c -> c.ok.get()).sum();
            int refused = clients.stream().mapToInt(c -> c.unavailable.get()).sum();
            assertTrue(refused > 0, "the slow agent made some pushes miss " + REQUEST_TIMEOUT_MS + " ms: "
                    + served + " answered 200, " + refused + " answered 503");
            for (Client c : clients) {
                assertEquals(0, c.missingRetryAfter.get(), c.id + ": every 503 carries Retry-After");
                assertTrue(c.slowestMs.get() < REQUEST_TIMEOUT_MS + 5_000,
                        c.id + ": every push answered within the request timeout, none hangs: slowest " + c.slowestMs.get() + " ms");
            }

            // The sink recovers: the same agent's channel, without the slow interceptor.
            agent.close();
            agent = EmbeddedFlumeAgent.start(TestStack.repoRoot().resolve("conf/flume/local-agent.properties"), agentDir, flumePort);
            long retryEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            List<Future<?>> retries = new ArrayList<>();
            for (Client c : clients) {
                retries.add(pool.submit(() -> c.run(retryEnd, true)));
            }
            for (Future<?> f : retries) {
                f.get(90, TimeUnit.SECONDS);
            }
            for (Client c : clients) {
                assertFalse(c.outstanding(), c.id + ": its 503'd push got 200 once the agent was fast again");
            }
        } finally {
            pool.shutdownNow();
            heap.stop();
        }

        // Every group-commit task held no more than its bound, as its own gauge reported it every second.
        Map<String, Long> held = gaugeMax(metrics, GroupCommitBolt.HELD_GAUGE);
        Map<String, Long> bound = gaugeMax(metrics, GroupCommitBolt.BOUND_GAUGE);
        System.out.printf("OverloadIT: %d pushes answered 200, %d answered 503; most held %s, bounds %s; live heap peak %d MB%n",
                clients.stream().mapToInt(c -> c.ok.get()).sum(), clients.stream().mapToInt(c -> c.unavailable.get()).sum(),
                held, bound, heap.maxLiveMb());
        for (String component : List.of(SyncTopology.RESOLVE, SyncTopology.FLUME, SyncTopology.FILES)) {
            assertTrue(held.containsKey(component) && bound.containsKey(component),
                    "the gauges of " + component + " were reported: " + held.keySet() + " " + bound.keySet());
            assertTrue(held.get(component) <= bound.get(component),
                    component + " held " + held.get(component) + " tuples, over its bound " + bound.get(component));
        }
        assertEquals(3L * 50, bound.get(SyncTopology.FLUME), "Flume bridge: queue of 2 batches + the batch being sent");
        assertEquals(3L * 100, bound.get(SyncTopology.RESOLVE), "resolver: queue of 2 batches + the batch being written");
        assertTrue(held.get(SyncTopology.FLUME) >= 50,
                "the slow agent really filled the bridge's queue (else the bound was never tested): " + held);
        assertTrue(heap.maxLiveMb() < LIVE_HEAP_LIMIT_MB, "live heap peaked at " + heap.maxLiveMb() + " MB");

        // Every acknowledged change is in every sink, once in Ignite.
        Map<String, Long> acked = new TreeMap<>();
        clients.forEach(c -> acked.putAll(c.acked));
        assertTrue(acked.size() >= CHANGES_PER_PUSH, "some changes were acknowledged: " + acked.size());
        for (Client c : clients) {
            for (int k = 0; k < KEYS_PER_CLIENT; k++) {
                String key = c.key(k);
                long writes = c.acked.keySet().stream().filter(id -> c.keyOf(id).equals(key)).count();
                if (writes == 0) {
                    continue;
                }
                JsonNode rec = Json.MAPPER.readTree(stack.record("notes-app.notes", Json.MAPPER.writeValueAsString(key)));
                assertNotNull(rec, key);
                assertEquals(writes, rec.get("version").asLong(),
                        key + ": one version per acknowledged write, none applied twice");
                assertEquals(c.lastTitle(key), rec.at("/value/title").asText(), key + " holds its last write");
            }
            Set<Long> versions = new HashSet<>(c.acked.values());
            assertFalse(versions.contains(0L), c.id + ": every acknowledged change has a version");
        }
        awaitAll("Flume", acked.keySet(), () -> flumeEventIds(agentDir));
        awaitAll("files", acked.keySet(), () -> fileEventIds(dir.resolve("files")));
    }

    /** One sync client: its own keys, its seqs in order, a 503'd push resent until it gets 200. */
    private final class Client {
        final String id;
        final Map<String, Long> acked = new ConcurrentHashMap<>();
        final AtomicInteger ok = new AtomicInteger();
        final AtomicInteger unavailable = new AtomicInteger();
        final AtomicInteger missingRetryAfter = new AtomicInteger();
        final AtomicLong slowestMs = new AtomicLong();
        private long nextSeq = 1;
        private boolean pending;

        Client(String id) {
            this.id = id;
        }

        String key(int k) {
            return id + "-k" + k;
        }

        String keyOf(String eventId) {
            return key((int) (Long.parseLong(eventId.substring(eventId.lastIndexOf('/') + 1)) % KEYS_PER_CLIENT));
        }

        String lastTitle(String key) {
            long last = 0;
            for (long s = 1; s < nextSeq; s++) {
                if (key(((int) (s % KEYS_PER_CLIENT))).equals(key)) {
                    last = s;
                }
            }
            return id + "/" + last;
        }

        boolean outstanding() {
            return pending;
        }

        /** Pushes until {@code end}; with {@code finishOnly}, only resends the push that has no 200 yet. */
        void run(long end, boolean finishOnly) {
            if (finishOnly && !pending) {
                return;
            }
            while (System.nanoTime() < end) {
                Push p = Push.to("notes-app").client(id).from(nextSeq);
                for (long s = nextSeq; s < nextSeq + CHANGES_PER_PUSH; s++) {
                    p.put("notes", key((int) (s % KEYS_PER_CLIENT)), Push.note(id + "/" + s));
                }
                pending = true;
                long t0 = System.nanoTime();
                Http.Answer a = stack.http.push(p.json());
                slowestMs.accumulateAndGet((System.nanoTime() - t0) / 1_000_000, Math::max);
                if (a.status() == 503) {
                    unavailable.incrementAndGet();
                    if (a.retryAfter() == null) {
                        missingRetryAfter.incrementAndGet();
                    }
                    sleep(100);
                    continue;
                }
                assertEquals(200, a.status(), id + ": " + a);
                if (settled(a.results())) {
                    ok.incrementAndGet();
                    nextSeq += CHANGES_PER_PUSH;
                    pending = false;
                    if (finishOnly) {
                        return;
                    }
                } else {
                    sleep(200); // pending or out_of_order: the earlier attempt is still in flight; resend
                }
            }
        }

        /** True when every change has its final outcome; records the versions. */
        private boolean settled(JsonNode results) {
            Map<String, Long> got = new HashMap<>();
            for (JsonNode r : results) {
                String status = r.get("status").asText();
                boolean applied = status.equals("applied")
                        || (status.equals("duplicate") && r.path("first").asText().equals("applied"));
                if (!applied) {
                    assertTrue(status.equals("pending") || status.equals("out_of_order"), id + ": unexpected " + r);
                    return false;
                }
                got.put("notes-app/" + id + "/" + r.get("seq").asLong(), r.get("version").asLong());
            }
            acked.putAll(got);
            return true;
        }
    }

    /** The highest value each component's gauge reported, over all its tasks and samples. */
    private static Map<String, Long> gaugeMax(Path metrics, String gauge) throws IOException {
        Map<String, Long> max = new HashMap<>();
        try (Stream<Path> files = Files.list(metrics)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith("-" + gauge + ".csv")).toList()) {
                String name = f.getFileName().toString();
                String component = null;
                for (String c : List.of(SyncTopology.RESOLVE, SyncTopology.FLUME, SyncTopology.FILES)) {
                    if (name.contains("." + c + ".")) {
                        component = c;
                    }
                }
                if (component == null) {
                    continue;
                }
                long m = 0;
                int samples = 0;
                for (String line : Files.readAllLines(f)) {
                    String[] cols = line.split(",");
                    if (cols.length == 2 && cols[1].matches("-?\\d+")) {
                        m = Math.max(m, Long.parseLong(cols[1]));
                        samples++;
                    }
                }
                assertTrue(samples >= 10, name + ": the gauge was reported every second (" + samples + " samples)");
                max.merge(component, m, Math::max);
            }
        }
        return max;
    }

    private interface Ids {
        Set<String> get() throws IOException;
    }

    private static void awaitAll(String sink, Set<String> expected, Ids found) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
        Set<String> missing = new HashSet<>(expected);
        while (System.nanoTime() < deadline) {
            missing.removeAll(found.get());
            if (missing.isEmpty()) {
                return;
            }
            Thread.sleep(500);
        }
        throw new AssertionError(missing.size() + " acknowledged changes never reached " + sink + ", e.g. "
                + missing.stream().limit(5).toList());
    }

    /** The agent's file_roll output: one "{headers} body" line per event. */
    private static Set<String> flumeEventIds(Path agentDir) throws IOException {
        Set<String> ids = new HashSet<>();
        Path out = agentDir.resolve("flume/out");
        if (!Files.isDirectory(out)) {
            return ids;
        }
        try (Stream<Path> files = Files.list(out)) {
            for (Path f : files.toList()) {
                for (String line : Files.readAllLines(f)) {
                    Matcher m = FLUME_LINE.matcher(line);
                    if (m.matches()) {
                        Matcher id = EVENT_ID.matcher(m.group(1));
                        if (id.find()) {
                            ids.add(id.group(1));
                        }
                    }
                }
            }
        }
        return ids;
    }

    /** Lines of committed files under changes/. */
    private static Set<String> fileEventIds(Path root) throws IOException {
        Set<String> ids = new HashSet<>();
        Path t = root.resolve("changes");
        if (!Files.isDirectory(t)) {
            return ids;
        }
        try (Stream<Path> s = Files.walk(t)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).toList()) {
                for (String l : Files.readAllLines(p)) {
                    ids.add(Json.MAPPER.readTree(l).get("eventId").asText());
                }
            }
        }
        return ids;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The live heap: what the heap pools held after their last collection, sampled every 200 ms. */
    private static final class HeapWatch {
        private final AtomicLong maxLive = new AtomicLong();
        private volatile boolean running = true;
        private final Thread thread = new Thread(this::loop, "overload-heap-watch");

        void start() {
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(5000);
        }

        long maxLiveMb() {
            return maxLive.get() / (1024 * 1024);
        }

        private void loop() {
            while (running) {
                long live = 0;
                for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                    if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                        live += pool.getCollectionUsage().getUsed();
                    }
                }
                maxLive.accumulateAndGet(live, Math::max);
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }
}
