package dev.idbsync.topology.it;

import static dev.idbsync.topology.it.Push.note;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.ignite.ThinClientFactory;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /v1/changes over the real stack: a puller that keeps pulling with its last cursor ends up
 * holding every record's latest version, the versions it gets only go up, and a change answered
 * before a pull began is in it; also across a restart of the whole stack in the middle.
 */
@Tag("integration")
class FeedIT {
    private static final String CACHE = "notes-app.notes";

    @TempDir
    static Path dir;

    @Test
    void pagesDeletesCursorsAndBadCursors() throws Exception {
        try (TestStack stack = TestStack.start(TestStack.localConfig(dir.resolve("basic"), b -> b), ThinClientFactory::new)) {
            Http.Answer a = stack.http.push(Push.to("notes-app").client("feed-a").put("notes", "b-1", note("one"))
                    .put("notes", "b-2", note("two")).put("notes", "b-1", note("one again")).delete("notes", "b-3").json());
            assertEquals(200, a.status(), a.toString());

            JsonNode all = stack.http.get("/v1/changes?db=notes-app").json();
            Map<String, JsonNode> byKey = new HashMap<>();
            all.get("changes").forEach(c -> byKey.put(c.get("key").asText(), c));
            assertEquals(2, byKey.get("b-1").get("version").asInt(), "compacted to the latest version: " + all);
            assertEquals("one again", byKey.get("b-1").at("/value/title").asText());
            assertEquals("delete", byKey.get("b-3").get("op").asText());
            assertFalse(byKey.get("b-3").has("value"), "a delete comes without a value");
            assertEquals("feed-a", byKey.get("b-2").get("clientId").asText());
            assertFalse(all.get("hasMore").asBoolean());

            JsonNode none = stack.http.get("/v1/changes?db=notes-app&since=" + enc(all.get("cursor").asText())).json();
            assertEquals(0, none.get("changes").size(), "nothing new since the cursor");

            Http.Answer four = stack.http.push(Push.to("notes-app").client("feed-a").from(5).put("notes", "b-4", note("four")).json());
            assertEquals("applied", four.results().get(0).get("status").asText(), four.toString());
            JsonNode next = stack.http.get("/v1/changes?db=notes-app&since=" + enc(all.get("cursor").asText())).json();
            assertEquals(1, next.get("changes").size(), next + " after " + all + " and " + four);
            assertEquals("b-4", next.at("/changes/0/key").asText());

            JsonNode page = stack.http.get("/v1/changes?db=notes-app&limit=1").json();
            assertEquals(1, page.get("changes").size());
            assertTrue(page.get("hasMore").asBoolean());

            Http.Answer bad = stack.http.get("/v1/changes?db=notes-app&since=not-a-cursor");
            assertEquals(400, bad.status());
            assertEquals("bad_cursor", bad.errorCode());
            assertEquals(400, stack.http.get("/v1/changes").status(), "db is required");
            Http.Answer unknown = stack.http.get("/v1/changes?db=notes-ap");
            assertEquals(404, unknown.status(), "a mistyped db is an error, not an empty feed");
            assertEquals("unknown_db", unknown.errorCode());
        }
    }

    /**
     * Forged cursors are a 400 at once; a puller gets past what the feed names but can no longer
     * serve (a record deleted by hand, a block entry deleted by hand, an entry naming a record its
     * store's cache does not have, as after a cache was renamed) once each has stayed unreadable
     * for ignite.feedStallSkipMs, and gets every other record.
     */
    @Test
    void forgedCursorsAreRefusedAtOnceAndWhatCannotBeServedIsSkippedAfterTheStallBound() throws Exception {
        SyncConfig base = TestStack.localConfig(dir.resolve("hostile"), b -> b);
        int stallMs = 2000;
        SyncConfig config = base.toBuilder().ignite(base.ignite().toBuilder().feedStallSkipMs(stallMs).build()).build();
        try (TestStack stack = TestStack.start(config, ThinClientFactory::new)) {
            Http.Answer a = stack.http.push(Push.to("notes-app").client("feed-h").put("notes", "h-1", note("one"))
                    .put("notes", "h-2", note("two")).put("notes", "h-3", note("three")).json());
            assertEquals(200, a.status(), a.toString());

            // Positions the feed cannot have given: each one used to make a single GET read every
            // position up to it (or stall), now a 400 before anything is read.
            for (String forged : List.of("{\"0\":[0,4000000000]}", "{\"0\":1000000}", "{\"1000000000\":0}",
                    "{\"0\":[1,0]}", "{\"0\":-5}")) {
                long t0 = System.nanoTime();
                Http.Answer bad = stack.http.get("/v1/changes?db=notes-app&since=" + enc(cursor(forged)));
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                assertEquals(400, bad.status(), forged + ": " + bad);
                assertEquals("bad_cursor", bad.errorCode(), forged);
                assertTrue(bad.toString().contains("without since"), forged + ": the message says how to go on: " + bad);
                assertTrue(ms < 2000, forged + " answered in " + ms + " ms");
            }

            // Two more blocks, each a push of its own.
            for (int i = 4; i <= 5; i++) {
                Http.Answer more = stack.http.push(Push.to("notes-app").client("feed-h").from(i)
                        .put("notes", "h-" + i, note("n" + i)).json());
                assertEquals("applied", more.results().get(0).get("status").asText(), more.toString());
            }
            org.apache.ignite.client.ClientCache<String, String> feed = stack.reader().cache("idbsync_feed");
            long head = Long.parseLong(feed.get("notes-app|p0|head"));
            assertEquals(5, head);
            // A record deleted by hand: its entry can never be served.
            stack.reader().<String, String>cache(CACHE).remove("\"h-2\"");
            // The block entry of h-4 deleted by hand.
            long h4 = -1;
            for (long pos = 1; pos <= head; ) {
                JsonNode block = Json.MAPPER.readTree(feed.get("notes-app|p0|" + pos));
                if (block.toString().contains("\"h-4\"")) {
                    h4 = pos;
                }
                pos += block.size();
            }
            assertEquals(1, Json.MAPPER.readTree(feed.get("notes-app|p0|" + h4)).size(), "h-4's block holds h-4 alone");
            feed.remove("notes-app|p0|" + h4);
            // An entry naming a record its store's cache does not have, as if the cache had been
            // renamed under it, appended by hand; then a change after it.
            feed.put("notes-app|p0|" + (head + 1), "[{\"store\":\"notes\",\"key\":\"ghost\",\"version\":1}]");
            feed.put("notes-app|p0|head", Long.toString(head + 1));
            Http.Answer six = stack.http.push(Push.to("notes-app").client("feed-h").from(6).put("notes", "h-6", note("six")).json());
            assertEquals("applied", six.results().get(0).get("status").asText(), six.toString());
            assertEquals(head + 2, Long.parseLong(feed.get("notes-app|p0|head")));

            // The puller must still reach the end, with every other record: each of the three
            // stops once for the stall bound, one after the other.
            List<String> got = new ArrayList<>();
            String since = null;
            boolean more = true;
            long t0 = System.nanoTime();
            long deadline = t0 + TimeUnit.MILLISECONDS.toNanos(3L * stallMs + 8000);
            while (more && System.nanoTime() < deadline) {
                JsonNode page = stack.http.get("/v1/changes?db=notes-app" + (since == null ? "" : "&since=" + enc(since))).json();
                page.get("changes").forEach(c -> got.add(c.get("key").asText()));
                since = page.get("cursor").asText();
                more = page.get("hasMore").asBoolean();
                if (more) {
                    Thread.sleep(250);
                }
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            assertFalse(more, "the feed moved past what it cannot serve within " + ms + " ms; got " + got);
            assertEquals(List.of("h-1", "h-3", "h-5", "h-6"), got, "every other record, in order");

            // A new puller goes straight through: a skip holds for every later pull of this spout
            // task (the test stack has one), without a new wait.
            long t1 = System.nanoTime();
            JsonNode again = stack.http.get("/v1/changes?db=notes-app").json();
            List<String> all = new ArrayList<>();
            again.get("changes").forEach(c -> all.add(c.get("key").asText()));
            assertEquals(List.of("h-1", "h-3", "h-5", "h-6"), all, again.toString());
            assertFalse(again.get("hasMore").asBoolean(), again.toString());
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1) < stallMs, "no new wait");

            // A partition with a huge head (set by hand here) and a cursor [0, head - 1] whose block
            // at 1 is there: a GET used to build and read every position in between; now it is a
            // 400 before any entry is read.
            feed.put("notes-app|p0|head", "2000000000");
            long t2 = System.nanoTime();
            Http.Answer gap = stack.http.get("/v1/changes?db=notes-app&since=" + enc(cursor("{\"0\":[0,1999999999]}")));
            assertEquals(400, gap.status(), gap.toString());
            assertEquals("bad_cursor", gap.errorCode());
            assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t2) < 2000, "answered at once");
        }
    }
    private static String cursor(String json) {
        return "c1." + java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A page of limit 1 ends inside the block a transaction wrote, and the next page goes on
     * inside it. A log written before blocks (one version per entry, as earlier versions of
     * idbsync wrote it) is read the same, and grows with blocks after it.
     */
    @Test
    void pagesEndInsideABlockAndALogWrittenBeforeBlocksIsStillRead() throws Exception {
        try (TestStack stack = TestStack.start(TestStack.localConfig(dir.resolve("blocks"), b -> b), ThinClientFactory::new)) {
            Http.Answer a = stack.http.push(Push.to("notes-app").client("blk").put("notes", "k-1", note("1"))
                    .put("notes", "k-2", note("2")).put("notes", "k-3", note("3")).json());
            assertEquals(200, a.status(), a.toString());
            assertEquals(List.of("k-1", "k-2", "k-3"), pullOneByOne(stack.http, null, 3));

            // Rewrite partition 0's log as idbsync wrote it before blocks: an entry per position.
            org.apache.ignite.client.ClientCache<String, String> feed = stack.reader().cache("idbsync_feed");
            long head = Long.parseLong(feed.get("notes-app|p0|head"));
            assertEquals(3, head);
            List<JsonNode> versions = new ArrayList<>();
            for (long pos = 1; pos <= head; ) {
                JsonNode block = Json.MAPPER.readTree(feed.get("notes-app|p0|" + pos));
                assertTrue(block.isArray(), "a block: " + block);
                block.forEach(versions::add);
                pos += block.size();
            }
            for (int i = 0; i < versions.size(); i++) {
                feed.put("notes-app|p0|" + (i + 1), versions.get(i).toString());
            }
            List<String> cursors = new ArrayList<>();
            assertEquals(List.of("k-1", "k-2", "k-3"), pullOneByOne(stack.http, cursors, 3));

            Http.Answer b = stack.http.push(Push.to("notes-app").client("blk").from(4).put("notes", "k-4", note("4"))
                    .put("notes", "k-2", note("2 again")).json());
            assertEquals(200, b.status(), b.toString());
            JsonNode rest = stack.http.get("/v1/changes?db=notes-app&since=" + enc(cursors.get(0))).json();
            List<String> keys = new ArrayList<>();
            rest.get("changes").forEach(c -> keys.add(c.get("key").asText() + "@" + c.get("version").asInt()));
            assertEquals(List.of("k-3@1", "k-4@1", "k-2@2"), keys, "after k-1, from the cursor of an entry-per-position log: " + rest);
            assertFalse(rest.get("hasMore").asBoolean());
        }
    }

    /** Pulls with limit=1 until hasMore is false; the keys in order, and each page's cursor into {@code cursors}. */
    private static List<String> pullOneByOne(Http http, List<String> cursors, int max) throws Exception {
        List<String> keys = new ArrayList<>();
        String cursor = null;
        for (int i = 0; i <= max; i++) {
            JsonNode page = http.get("/v1/changes?db=notes-app&limit=1" + (cursor == null ? "" : "&since=" + enc(cursor))).json();
            page.get("changes").forEach(c -> keys.add(c.get("key").asText()));
            assertTrue(page.get("changes").size() <= 1, page.toString());
            cursor = page.get("cursor").asText();
            if (cursors != null) {
                cursors.add(cursor);
            }
            if (!page.get("hasMore").asBoolean()) {
                return keys;
            }
        }
        throw new AssertionError("still hasMore after " + max + " pages: " + keys);
    }

    @Test
    void aPullerEndsUpWithEveryRecordsLatestVersionWhilePushersRunAndAcrossARestart() throws Exception {
        SyncConfig config = TestStack.localConfig(dir.resolve("busy"), b -> b.topology(b.build().topology().toBuilder()
                .resolveParallelism(2).build()));
        Puller puller = new Puller();
        List<Pusher> pushers = List.of(new Pusher("fp-0", 1), new Pusher("fp-1", 2), new Pusher("fp-2", 3));
        try (TestStack stack = TestStack.start(config, ThinClientFactory::new)) {
            run(stack, pushers, puller, 40);
        }
        try (TestStack stack = TestStack.start(config, ThinClientFactory::new)) { // the same data dir and ports
            run(stack, pushers, puller, 40);
            puller.drain(stack.http);
            int checked = 0;
            for (int k = 0; k < 8; k++) {
                String key = "fk-" + k;
                String stored = stack.record(CACHE, Json.MAPPER.writeValueAsString(key));
                if (stored == null) {
                    continue;
                }
                JsonNode rec = Json.MAPPER.readTree(stored);
                JsonNode got = puller.held.get(key);
                assertTrue(got != null, "the puller never got " + key);
                assertEquals(rec.get("version").asLong(), got.get("version").asLong(), key);
                assertEquals(rec.get("op").asText(), got.get("op").asText(), key);
                assertEquals(rec.path("value"), got.path("value"), key);
                checked++;
            }
            assertTrue(checked >= 6, "the pushers wrote most keys: " + checked);
        }
    }

    private static void run(TestStack stack, List<Pusher> pushers, Puller puller, int changesEach) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(pushers.size() + 1);
        AtomicBoolean done = new AtomicBoolean();
        try {
            Future<?> pulling = pool.submit(() -> {
                while (!done.get()) {
                    puller.pullOnce(stack.http);
                    Thread.sleep(30);
                }
                return null;
            });
            List<Future<?>> pushing = new ArrayList<>();
            for (Pusher p : pushers) {
                pushing.add(pool.submit(() -> {
                    p.push(stack.http, changesEach);
                    return null;
                }));
            }
            for (Future<?> f : pushing) {
                f.get(120, TimeUnit.SECONDS);
            }
            // every push above was answered before this pull begins, so this pull has them all
            done.set(true);
            pulling.get(30, TimeUnit.SECONDS);
            puller.drain(stack.http);
            for (Pusher p : pushers) {
                p.latestAnswered.forEach((key, version) -> {
                    JsonNode got = puller.held.get(key);
                    assertTrue(got != null && got.get("version").asLong() >= version,
                            "a change answered before the pull began is in it: " + key + " v" + version + ", puller has " + got);
                });
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** A client that pulls with the cursor it was last given and keeps what it got. */
    private static final class Puller {
        final Map<String, JsonNode> held = new HashMap<>();
        String cursor;

        synchronized void pullOnce(Http http) {
            Http.Answer a = http.get("/v1/changes?db=notes-app&limit=50" + (cursor == null ? "" : "&since=" + enc(cursor)));
            if (a.status() != 200) {
                return; // e.g. 503 during a restart: try again
            }
            JsonNode body = a.json();
            for (JsonNode c : body.get("changes")) {
                String key = c.get("key").asText();
                JsonNode before = held.get(key);
                assertTrue(before == null || before.get("version").asLong() < c.get("version").asLong(),
                        "versions only go up: had " + before + ", got " + c);
                held.put(key, c);
            }
            cursor = body.get("cursor").asText();
        }

        synchronized void drain(Http http) {
            for (int i = 0; i < 100; i++) {
                Http.Answer a = http.get("/v1/changes?db=notes-app&limit=50" + (cursor == null ? "" : "&since=" + enc(cursor)));
                assertEquals(200, a.status(), a.toString());
                pullOnce(http);
                if (!a.json().get("hasMore").asBoolean()) {
                    return;
                }
            }
        }
    }

    /** A client pushing puts and deletes over shared keys, remembering the versions it was answered. */
    private static final class Pusher {
        final String clientId;
        final Random rnd;
        final Map<String, Long> latestAnswered = new HashMap<>();
        long seq = 1;

        Pusher(String clientId, long seed) {
            this.clientId = clientId;
            this.rnd = new Random(seed);
        }

        void push(Http http, int n) {
            for (int sent = 0; sent < n; ) {
                Push p = Push.to("notes-app").client(clientId).from(seq);
                int batch = 1 + rnd.nextInt(4);
                for (int i = 0; i < batch; i++) {
                    String key = "fk-" + rnd.nextInt(8);
                    if (rnd.nextInt(6) == 0) {
                        p.delete("notes", key);
                    } else {
                        p.put("notes", key, note(clientId + " " + (seq + i)), 0);
                    }
                }
                Http.Answer a = http.push(p.json());
                if (a.status() != 200) {
                    continue; // the same batch again
                }
                for (JsonNode r : a.results()) {
                    String status = r.get("status").asText();
                    if (status.equals("applied") || status.equals("conflict") || status.equals("duplicate")) {
                        String key = p.node().get("changes").get((int) (r.get("seq").asLong() - seq)).get("key").asText();
                        if (r.has("version")) {
                            latestAnswered.merge(key, r.get("version").asLong(), Math::max);
                        }
                    }
                }
                seq += batch;
                sent += batch;
            }
        }
    }
}
