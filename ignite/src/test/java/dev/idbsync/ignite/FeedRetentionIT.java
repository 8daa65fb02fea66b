package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.IgniteConfig;
import dev.idbsync.config.RetentionConfig;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Keys;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.ProtocolException;
import dev.idbsync.resolve.RecordState;
import dev.idbsync.testkit.Ports;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.cache.Cache;
import org.apache.ignite.cache.query.ScanQuery;
import org.apache.ignite.client.IgniteClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retention of the change feed and of tombstones ({@link FeedRetention}) against a real,
 * persistent Ignite node, written by the resolver's own {@link ResolveWriter} and read by the
 * {@link FeedReader} that serves GET /v1/changes, on a clock the test moves.
 */
@Tag("integration")
class FeedRetentionIT {
    static final long HOUR = 3_600_000;
    static final long MINUTE = 60_000;

    @TempDir
    static Path dir;
    static EmbeddedIgniteNode node;
    static IgniteClient client;
    static IgniteConfig igniteConfig;
    static SyncConfig base;

    final AtomicLong clock = new AtomicLong(1_800_000_000_000L);

    @BeforeAll
    static void start() {
        base = ConfigLoader.load(Path.of("..", "conf", "local.yaml").toAbsolutePath().normalize());
        igniteConfig = base.ignite().toBuilder()
                .addresses(List.of("127.0.0.1:" + Ports.free()))
                .discoveryPort(Ports.free())
                .communicationPort(Ports.free())
                .build();
        node = EmbeddedIgniteNode.start(igniteConfig, dir.resolve("ignite"));
        client = new ThinClientFactory(igniteConfig).create();
    }

    @AfterAll
    static void stop() {
        if (client != null) {
            client.close();
        }
        if (node != null) {
            node.close();
        }
    }

    /** A deployment of one db (its own name, so the tests do not share logs), retention as given. */
    static SyncConfig config(String db, RetentionConfig retention) {
        SyncConfig.Builder b = base.toBuilder().dataDir(dir.toString()).ignite(igniteConfig).retention(retention);
        b.stores(base.allStores().stream().filter(s -> s.store().equals("notes"))
                .map(s -> new StoreConfig(db, s.store(), s.schemaJson(), s.schemaSource(), s.policy(), db + ".notes"))
                .toList());
        return b.build();
    }

    static Change change(String db, String clientId, long seq, String key, Op op, String title, long now) {
        ObjectNode value = op == Op.PUT ? Json.MAPPER.createObjectNode().put("title", title).put("done", false) : null;
        TextNode k = TextNode.valueOf(key);
        return new Change(db, clientId, seq, "notes", k, Keys.canonical(k), op, value, 0, now, null, now, now);
    }

    static ResolveWriter.Item item(Change c) {
        return new ResolveWriter.Item(c, "push-" + c.clientId() + "-" + c.seq(), null, false);
    }

    /** Every change of a pull from {@code since} to the feed's end, page by page (the cursor of the last page too). */
    static Map.Entry<List<JsonNode>, String> pullAll(FeedReader reader, String db, String since) throws Exception {
        List<JsonNode> changes = new ArrayList<>();
        String cursor = since;
        for (int page = 0; page < 1000; page++) {
            JsonNode body = Json.MAPPER.readTree(reader.page(db, cursor, 100));
            body.get("changes").forEach(changes::add);
            cursor = body.get("cursor").asText();
            if (!body.get("hasMore").asBoolean()) {
                return Map.entry(changes, cursor);
            }
        }
        throw new AssertionError("the feed did not end");
    }

    /** The versions the db's log of partition 0 holds now: the sum of its blocks' lengths. */
    static long versionsHeld(SyncCaches caches, String db) {
        return versionsHeld(caches, db, 0);
    }

    /** The versions the db's log of {@code partition} holds now. */
    static long versionsHeld(SyncCaches caches, String db, int partition) {
        long held = 0;
        String prefix = db + "|p" + partition + "|";
        for (Cache.Entry<String, String> e : caches.feed().query(new ScanQuery<String, String>()).getAll()) {
            if (e.getKey().startsWith(prefix) && e.getKey().substring(prefix.length()).matches("\\d+")) {
                held += Feed.versions(e.getValue()).size();
            }
        }
        return held;
    }

    static void sweepUntilDone(FeedRetention retention, long now) {
        for (int i = 0; i < 10_000; i++) {
            if (!retention.sweep(now).more()) {
                return;
            }
        }
        throw new AssertionError("the sweep did not finish");
    }

    @Test
    void theFeedStaysWithinItsBoundAndAFullPullStillGivesEveryRecordAtItsLatestVersion() throws Exception {
        String db = "bound";
        SyncConfig config = config(db, new RetentionConfig(true, HOUR, HOUR, MINUTE));
        SyncCaches caches = new SyncCaches(client, config.ignite());
        ResolveWriter writer = new ResolveWriter(config, caches, clock::get, 0);
        writer.createCaches();
        FeedRetention retention = new FeedRetention(config, caches, 0, clock::get);
        FeedReader reader = new FeedReader(config, FeedReader.over(caches), clock::get, 30_000);

        int records = 40;
        int rounds = 30; // a round every 10 minutes: 5 hours of writes, 1,200 versions
        String earlyCursor = null;
        long seq = 0;
        for (int round = 0; round < rounds; round++) {
            List<ResolveWriter.Item> batch = new ArrayList<>();
            for (int r = 0; r < records; r++) {
                batch.add(item(change(db, "c-bound", ++seq, "k" + r, Op.PUT, "round " + round, clock.get())));
            }
            writer.write(batch);
            sweepUntilDone(retention, clock.get());
            if (round == 1) {
                earlyCursor = pullAll(reader, db, null).getValue();
            }
            clock.addAndGet(10 * MINUTE);
        }
        sweepUntilDone(retention, clock.get());

        // The bound: the records' current versions, plus what was written within the horizon and
        // one checkpoint's spacing (feed / 100) and a sweep's period, at 40 versions every 10 minutes.
        long held = versionsHeld(caches, db);
        long writtenWithinBound = records * (long) Math.ceil((HOUR + HOUR / 100 + MINUTE) / (10.0 * MINUTE) + 1);
        System.out.printf("feed retention: %d records, %d versions written over %d hours, retention.feed 1h: the log holds"
                + " %d versions (bound %d)%n", records, rounds * records, rounds / 6, held, records + writtenWithinBound);
        assertTrue(held <= records + writtenWithinBound, "the log holds " + held + " versions; the bound is "
                + (records + writtenWithinBound) + " (1,200 were written)");
        assertTrue(held < rounds * records / 3, "most of the 1,200 versions are gone: " + held + " left");

        // A pull from the beginning still has every record, each at its latest version.
        List<JsonNode> full = pullAll(reader, db, null).getKey();
        Map<String, Long> latest = new HashMap<>();
        for (JsonNode c : full) {
            latest.merge(c.get("key").asText(), c.get("version").asLong(), Math::max);
        }
        assertEquals(records, latest.size(), "every record: " + latest);
        latest.forEach((k, v) -> assertEquals(rounds, v, k + " at its latest version"));

        // A cursor from before what was removed is answered 410 resync, before anything is read.
        String old = earlyCursor;
        ProtocolException gone = assertThrows(ProtocolException.class, () -> reader.page(db, old, 100));
        assertEquals(410, gone.httpStatus());
        assertEquals("resync", gone.code());

        // A cursor the client got after the last sweep goes on as before: only what is new.
        String recent = pullAll(reader, db, null).getValue();
        writer.write(List.of(item(change(db, "c-bound", ++seq, "k0", Op.PUT, "after", clock.get()))));
        List<JsonNode> next = pullAll(reader, db, recent).getKey();
        assertEquals(1, next.size(), next.toString());
        assertEquals(rounds + 1, next.get(0).get("version").asLong());
    }

    @Test
    void theLogOfARemovedResolverTaskIsSweptByTheTaskThatAdoptsIt() throws Exception {
        String db = "orphan";
        // Written by task 3 of four; then the topology runs with two resolver tasks.
        SyncConfig four = config(db, new RetentionConfig(true, HOUR, HOUR, MINUTE));
        SyncConfig two = four.toBuilder().topology(four.topology().toBuilder().resolveParallelism(2).build()).build();
        SyncCaches caches = new SyncCaches(client, four.ignite());
        ResolveWriter task3 = new ResolveWriter(four, caches, clock::get, 3);
        task3.createCaches();
        FeedReader reader = new FeedReader(two, FeedReader.over(caches), clock::get, 30_000);
        assertEquals(List.of(1, 3, 5, 7, 9), FeedRetention.partitionsOf(1, 2).subList(0, 5));
        assertFalse(FeedRetention.partitionsOf(0, 2).contains(3), "one task adopts each log");
        assertEquals(List.of(0), FeedRetention.partitionsOf(0, 64), "no log beyond those readers look at");
        FeedRetention task3Sweep = new FeedRetention(four, caches, 3, clock::get);
        List<FeedRetention> task1 = new ArrayList<>();
        for (int p : FeedRetention.partitionsOf(1, 2)) {
            task1.add(new FeedRetention(two, caches, p, clock::get));
        }

        long seq = 0;
        String earlyCursor = null;
        for (int round = 0; round < 12; round++) { // two hours of writes, 10 records every 10 minutes
            List<ResolveWriter.Item> batch = new ArrayList<>();
            for (int r = 0; r < 10; r++) {
                batch.add(item(change(db, "c-orphan", ++seq, "o" + r, Op.PUT, "round " + round, clock.get())));
            }
            task3.write(batch);
            sweepUntilDone(task3Sweep, clock.get()); // task 3 swept its own log while it ran
            if (round == 0) {
                earlyCursor = pullAll(reader, db, null).getValue();
            }
            clock.addAndGet(10 * MINUTE);
        }
        long before = versionsHeld(caches, db, 3);
        assertTrue(before >= 60, "the last hour and more of 120 versions: " + before);
        // Task 3 is gone. Two hours later its log is past retention: task 1's own partition alone
        // would leave it as it is; with the logs it adopted, it is swept.
        clock.addAndGet(2 * HOUR);
        sweepUntilDone(task1.get(0), clock.get());
        assertEquals(before, versionsHeld(caches, db, 3), "no task's own sweep touches another partition");
        task1.forEach(t -> sweepUntilDone(t, clock.get()));

        long after = versionsHeld(caches, db, 3);
        assertEquals(10, after, "only the records' current versions are left, appended again at the log's head");
        List<JsonNode> full = pullAll(reader, db, null).getKey();
        Map<String, Long> latest = new HashMap<>();
        full.forEach(c -> latest.merge(c.get("key").asText(), c.get("version").asLong(), Math::max));
        assertEquals(10, latest.size(), latest.toString());
        latest.forEach((k, v) -> assertEquals(12, v, k));
        String old = earlyCursor;
        assertEquals(410, assertThrows(ProtocolException.class, () -> reader.page(db, old, 100)).httpStatus());
        // nothing was made for the partitions that never had a log
        assertNull(caches.feed().get(Feed.headKey(db, 5)));
        assertNull(caches.feed().get(Feed.agesKey(db, 5)));
    }

    @Test
    void anExpiredTombstoneIsRemovedAndItsKeyWrittenAgainGetsAVersionAboveItsOldOnes() throws Exception {
        String db = "tomb";
        SyncConfig config = config(db, new RetentionConfig(true, HOUR, 2 * HOUR, MINUTE));
        SyncCaches caches = new SyncCaches(client, config.ignite());
        ResolveWriter writer = new ResolveWriter(config, caches, clock::get, 0);
        writer.createCaches();
        FeedRetention retention = new FeedRetention(config, caches, 0, clock::get);
        FeedReader reader = new FeedReader(config, FeedReader.over(caches), clock::get, 30_000);
        String key = Keys.canonical(TextNode.valueOf("gone"));

        writer.write(List.of(item(change(db, "c-t", 1, "gone", Op.PUT, "one", clock.get())),
                item(change(db, "c-t", 2, "gone", Op.PUT, "two", clock.get())),
                item(change(db, "c-t", 3, "gone", Op.DELETE, null, clock.get())),
                item(change(db, "c-t", 4, "kept", Op.PUT, "stays", clock.get()))));
        sweepUntilDone(retention, clock.get()); // the first checkpoint

        // Past the feed's horizon, not the tombstones': the tombstone is appended again, still served.
        clock.addAndGet(HOUR + 10 * MINUTE);
        sweepUntilDone(retention, clock.get());
        clock.addAndGet(2 * MINUTE);
        sweepUntilDone(retention, clock.get());
        assertTrue(caches.records(config.store(db, "notes")).containsKey(key), "the tombstone is kept 2 hours");
        List<JsonNode> full = pullAll(reader, db, null).getKey();
        assertEquals(List.of("delete", "put"), full.stream().map(c -> c.get("op").asText()).sorted().toList(), full.toString());

        // Past the tombstones' horizon: removed, and the db's floor is its version.
        for (int i = 0; i < 3; i++) {
            clock.addAndGet(HOUR);
            sweepUntilDone(retention, clock.get());
        }
        assertFalse(caches.records(config.store(db, "notes")).containsKey(key), "the expired tombstone is removed");
        assertEquals("3", caches.feed().get(Feed.floorKey(db)));
        full = pullAll(reader, db, null).getKey();
        assertEquals(1, full.size(), full.toString());
        assertEquals("kept", full.get(0).get("key").asText());

        // Written again: version 4, above the 3 a client may still hold for it, so it applies there.
        writer.write(List.of(item(change(db, "c-t", 5, "gone", Op.PUT, "back", clock.get()))));
        RecordState back = RecordState.fromJson(caches.records(config.store(db, "notes")).get(key));
        assertEquals(4, back.version());
        assertEquals("back", back.value().get("title").asText());
    }

    @Test
    void withRetentionOffNothingIsRemoved() throws Exception {
        String db = "off";
        SyncConfig config = config(db, RetentionConfig.off());
        SyncCaches caches = new SyncCaches(client, config.ignite());
        ResolveWriter writer = new ResolveWriter(config, caches, clock::get, 0);
        writer.createCaches();
        FeedRetention retention = new FeedRetention(config, caches, 0, clock::get);
        for (int round = 0; round < 5; round++) {
            writer.write(List.of(item(change(db, "c-off", round + 1, "k", Op.PUT, "r" + round, clock.get()))));
            assertNull(retention.maybeSweep());
            clock.addAndGet(100 * RetentionConfig.DAY_MS);
        }
        assertEquals(5, versionsHeld(caches, db));
        assertNull(caches.feed().get(Feed.trimmedKey(db, 0)));
    }

    /**
     * The client horizon ({@code retention.clients}) on a real node: marks and owners written
     * through {@link SyncCaches#expiringAfterWrite} expire that long after their last write, and
     * each write (a mark that moved, an owner's {@code replace} of the same value) starts it again.
     * Real time, not the test's clock: Ignite's expiry runs on its own.
     */
    @Test
    void withAClientHorizonAMarkOrOwnerExpiresThatLongAfterItsLastWrite() throws Exception {
        SyncCaches caches = new SyncCaches(client, igniteConfig);
        long horizon = 4_000;
        var marks = SyncCaches.expiringAfterWrite(caches.marks(), horizon);
        var owners = SyncCaches.expiringAfterWrite(caches.owners(), horizon);
        long start = System.nanoTime();
        marks.putAll(Map.of("h-app/idle", "3", "h-app/busy", "5"));
        assertTrue(owners.putIfAbsent("h-app/busy", "alice"));
        caches.marks().put("h-app/no-horizon", "7"); // written without the horizon: kept for good

        Thread.sleep(2_500);
        marks.putAll(Map.of("h-app/busy", "6")); // the mark moved
        assertTrue(owners.replace("h-app/busy", "alice", "alice"), "the owner confirmed");
        long rewritten = System.nanoTime();

        sleepUntil(start, horizon + 500);
        assertNull(caches.marks().get("h-app/idle"), "not written for the horizon: gone");
        assertTrue(System.nanoTime() - rewritten < (horizon - 500) * 1_000_000L, "the check came in time to mean something");
        assertEquals("6", caches.marks().get("h-app/busy"), "written again 2.5 s in: kept");
        assertEquals("alice", caches.owners().get("h-app/busy"));

        sleepUntil(rewritten, horizon + 500);
        assertNull(caches.marks().get("h-app/busy"));
        assertNull(caches.owners().get("h-app/busy"));
        assertEquals("7", caches.marks().get("h-app/no-horizon"));
    }

    private static void sleepUntil(long fromNanos, long ms) throws InterruptedException {
        long left = ms - (System.nanoTime() - fromNanos) / 1_000_000;
        if (left > 0) {
            Thread.sleep(left);
        }
    }
}
