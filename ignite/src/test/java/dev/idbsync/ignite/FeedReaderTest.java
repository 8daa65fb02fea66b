package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Keys;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.ProtocolException;
import dev.idbsync.resolve.RecordState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The feed page reader on an in-memory stand-in for Ignite's caches and a clock the test moves. */
class FeedReaderTest {
    private static final String DB = "notes-app";
    private static final long STALL_MS = 10_000;

    @TempDir
    Path dir;

    private SyncConfig config;
    private final Map<String, String> feed = new HashMap<>();
    private final Map<String, String> records = new HashMap<>();
    private final AtomicLong now = new AtomicLong(1_000_000);
    /** Keys of the feed cache read, over all calls. */
    private final List<String> feedReads = new ArrayList<>();
    /** Keys of the records caches read, over all calls. */
    private final List<String> recordReads = new ArrayList<>();
    private FeedReader reader;

    @BeforeEach
    void setUp() throws IOException {
        Path yaml = dir.resolve("test.yaml");
        Files.writeString(yaml, "dbs:\n  notes-app:\n    stores:\n      notes: {}\n", StandardCharsets.UTF_8);
        config = ConfigLoader.load(yaml);
        reader = new FeedReader(config, new FeedReader.Source() {
            @Override
            public Map<String, String> feed(Set<String> keys) {
                feedReads.addAll(keys);
                Map<String, String> out = new HashMap<>();
                keys.forEach(k -> {
                    if (feed.containsKey(k)) {
                        out.put(k, feed.get(k));
                    }
                });
                return out;
            }

            @Override
            public Map<String, String> records(StoreConfig store, Set<String> keys) {
                recordReads.addAll(keys);
                Map<String, String> out = new HashMap<>();
                keys.forEach(k -> {
                    if (records.containsKey(k)) {
                        out.put(k, records.get(k));
                    }
                });
                return out;
            }
        }, now::get, STALL_MS);
    }

    private static RecordState version(String key, long v) {
        return new RecordState(DB, "notes", TextNode.valueOf(key), Op.PUT,
                Json.MAPPER.createObjectNode().put("title", key + " v" + v), v, "c1", v, 1L, 2L, List.of());
    }

    /** Appends a block to partition 0, as the resolver does, and stores its records. */
    private void commit(RecordState... versions) {
        commitTo(0, versions);
    }

    /** Appends a block to partition {@code p}, as its resolver task does, and stores its records. */
    private void commitTo(int p, RecordState... versions) {
        String headKey = Feed.headKey(DB, p);
        long head = feed.containsKey(headKey) ? Long.parseLong(feed.get(headKey)) : 0;
        feed.put(Feed.entryKey(DB, p, head + 1), Feed.block(List.of(versions)));
        feed.put(headKey, Long.toString(head + versions.length));
        for (RecordState r : versions) {
            records.put(Keys.canonical(r.key()), r.toJson());
        }
    }

    private JsonNode page(String since, int limit) throws IOException {
        return Json.MAPPER.readTree(reader.page(DB, since, limit));
    }

    private static List<String> keys(JsonNode page) {
        List<String> out = new ArrayList<>();
        page.get("changes").forEach(c -> out.add(c.get("key").asText() + "@" + c.get("version").asLong()));
        return out;
    }

    private static String cursor(String json) {
        return "c1." + Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void readsBlocksInOrderWithCompactionAndPagesInsideABlock() throws IOException {
        commit(version("a", 1), version("b", 1), version("c", 1));
        commit(version("a", 2));
        JsonNode first = page(null, 1);
        assertEquals(List.of("b@1"), keys(first), "a@1 is compacted away: a@2 replaces it");
        assertTrue(first.get("hasMore").asBoolean());
        JsonNode rest = page(first.get("cursor").asText(), 10);
        assertEquals(List.of("c@1", "a@2"), keys(rest));
        assertFalse(rest.get("hasMore").asBoolean());
    }

    @Test
    void aForgedCursorWithABlockLongerThanAnyBlockIsRefusedBeforeAnythingIsRead() {
        commit(version("a", 1));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> reader.page(DB, cursor("{\"0\":[0,5000000000]}"), 500));
        assertEquals("bad_cursor", e.code());
        assertEquals(400, e.httpStatus());
        assertEquals(List.of(), feedReads, "nothing was read for it");
    }

    @Test
    void cursorsNamingPartitionsTheFeedDoesNotHaveOrAheadOfTheHeadOrTooLongAreRefused() {
        commit(version("a", 1));
        for (String bad : List.of(cursor("{\"1000000000\":0}"), cursor("{\"64\":0}"), cursor("{\"0\":2}"),
                cursor("{\"0\":-1}"), cursor("{\"0\":[1,0]}"), cursor("{\"0\":99999999999999999999999}"),
                cursor("[]"), cursor(""), cursor("{\"x\":0}"),
                "c1." + "A".repeat(Feed.maxCursorChars(Feed.PARTITIONS_PROBED)))) {
            ProtocolException e = assertThrows(ProtocolException.class, () -> reader.page(DB, bad, 500), bad);
            assertEquals("bad_cursor", e.code(), bad);
            assertTrue(e.getMessage().contains("pull again without since"), e.getMessage());
        }
    }

    @Test
    void aCursorInsideABlockThatIsNotThereIsRefused() {
        commit(version("a", 1));
        commit(version("b", 1));
        // position 1 holds a block of one: no page can have ended inside a block starting at 0 that reaches 2
        feed.remove(Feed.entryKey(DB, 0, 1));
        ProtocolException e = assertThrows(ProtocolException.class, () -> reader.page(DB, cursor("{\"0\":[0,1]}"), 500));
        assertEquals("bad_cursor", e.code());
    }

    @Test
    void theKeysReadPerPageAreBoundedByTheLimitWhateverTheHead() throws IOException {
        commit(version("a", 1));
        feed.put(Feed.headKey(DB, 0), "1000000000"); // a head far past what is there
        feedReads.clear();
        page(null, 10);
        long entryReads = feedReads.stream().filter(k -> !k.endsWith("|head")).count();
        assertTrue(entryReads <= 1 + FeedReader.SCAN_FACTOR * 10L, "entries read: " + entryReads);
    }

    @Test
    void aRecordThatIsGoneIsSkippedOnceItHasStayedUnreadablePastTheBound() throws IOException {
        commit(version("a", 1), version("b", 1));
        commit(version("c", 1));
        records.remove("\"b\""); // deleted by hand
        JsonNode p1 = page(null, 10);
        assertEquals(List.of("a@1"), keys(p1), "stops at b: it may be committing");
        assertTrue(p1.get("hasMore").asBoolean());
        now.addAndGet(STALL_MS - 1);
        assertEquals(List.of(), keys(page(p1.get("cursor").asText(), 10)), "still within the bound");
        now.addAndGet(2);
        JsonNode p2 = page(p1.get("cursor").asText(), 10);
        assertEquals(List.of("c@1"), keys(p2), "b is skipped, the rest delivered");
        assertFalse(p2.get("hasMore").asBoolean());
        assertEquals(1, reader.skipped());
        JsonNode fresh = page(null, 10);
        assertEquals(List.of("a@1", "c@1"), keys(fresh), "a later puller skips it without a new wait");
        assertFalse(fresh.get("hasMore").asBoolean());
        assertEquals(1, reader.skipped(), "counted once");
    }

    @Test
    void aRecordThatBecomesVisibleWithinTheBoundIsDeliveredNotSkipped() throws IOException {
        commit(version("a", 1));
        String a = records.remove("\"a\""); // its transaction is still committing
        JsonNode p1 = page(null, 10);
        assertEquals(List.of(), keys(p1));
        now.addAndGet(STALL_MS / 2);
        records.put("\"a\"", a);
        JsonNode p2 = page(p1.get("cursor").asText(), 10);
        assertEquals(List.of("a@1"), keys(p2));
        assertEquals(0, reader.skipped());
    }

    @Test
    void aMissingBlockIsSkippedToTheNextVisibleBlockAfterTheBound() throws IOException {
        commit(version("a", 1), version("b", 1), version("c", 1)); // positions 1-3
        commit(version("d", 1)); // position 4
        feed.remove(Feed.entryKey(DB, 0, 1)); // the block's entry deleted by hand
        JsonNode p1 = page(null, 10);
        assertEquals(List.of(), keys(p1));
        assertTrue(p1.get("hasMore").asBoolean());
        now.addAndGet(STALL_MS + 1);
        JsonNode p2 = page(p1.get("cursor").asText(), 10);
        assertEquals(List.of("d@1"), keys(p2));
        assertFalse(p2.get("hasMore").asBoolean());
        assertEquals(1, reader.skipped());
        JsonNode fresh = page(null, 10);
        assertEquals(List.of("d@1"), keys(fresh), "a later puller skips the gap without a new wait");
        assertFalse(fresh.get("hasMore").asBoolean());
        assertEquals(1, reader.skipped(), "counted once");
    }

    @Test
    void aBlockCommittedAfterAStallBeganIsNeverSkippedWithIt() throws IOException {
        commit(version("a", 1)); // position 1
        feed.remove(Feed.entryKey(DB, 0, 1));
        JsonNode p1 = page(null, 10); // the stall at position 1 is seen while the head is 1
        now.addAndGet(STALL_MS / 2);
        commit(version("b", 1)); // position 2, committed after the stall began...
        String b = feed.remove(Feed.entryKey(DB, 0, 2)); // ...and not visible yet
        now.addAndGet(STALL_MS);
        JsonNode p2 = page(p1.get("cursor").asText(), 10);
        assertEquals(List.of(), keys(p2), "position 1 skipped, position 2 waited for");
        assertTrue(p2.get("hasMore").asBoolean());
        feed.put(Feed.entryKey(DB, 0, 2), b);
        JsonNode p3 = page(p2.get("cursor").asText(), 10);
        assertEquals(List.of("b@1"), keys(p3));
        assertEquals(1, reader.skipped());
    }

    @Test
    void theRecordsAndEntriesReadPerRequestAreBoundedOverAllPartitionsTogether() throws IOException {
        // ten partitions of 100 entries each, every one compacted away (its record has moved on):
        // a request reads through them without filling its page
        for (int p = 0; p < 10; p++) {
            for (int i = 0; i < 100; i++) {
                commitTo(p, version("k" + p + "-" + i, 1));
                records.put(Keys.canonical(TextNode.valueOf("k" + p + "-" + i)), version("k" + p + "-" + i, 2).toJson());
            }
        }
        int limit = 10;
        feedReads.clear();
        JsonNode page = page(null, limit);
        assertEquals(List.of(), keys(page));
        assertTrue(page.get("hasMore").asBoolean());
        long entryReads = feedReads.stream().filter(k -> !k.endsWith("|head")).count();
        assertTrue(recordReads.size() <= FeedReader.SCAN_FACTOR * limit, "records read: " + recordReads.size());
        assertTrue(entryReads <= 2L * FeedReader.SCAN_FACTOR * limit + 10, "entries read: " + entryReads);
        // and the puller still gets through them all, page by page
        String since = page.get("cursor").asText();
        for (int pages = 0; page.get("hasMore").asBoolean(); pages++) {
            assertTrue(pages < 20, "the feed ends");
            page = page(since, limit);
            since = page.get("cursor").asText();
        }
    }

    @Test
    void aGapLongerThanOneRequestsBudgetIsSkippedWithoutWaitingTheBoundAgain() throws IOException {
        commit(version("a", 1));
        for (int i = 0; i < 50; i++) {
            commit(version("g" + i, 1)); // positions 2-51, deleted by hand below
        }
        commit(version("z", 1)); // position 52
        for (int i = 2; i <= 51; i++) {
            feed.remove(Feed.entryKey(DB, 0, i));
        }
        JsonNode p1 = page(null, 2);
        assertEquals(List.of("a@1"), keys(p1));
        now.addAndGet(STALL_MS + 1);
        List<String> got = new ArrayList<>();
        String since = p1.get("cursor").asText();
        JsonNode page = p1;
        for (int pages = 0; page.get("hasMore").asBoolean(); pages++) {
            assertTrue(pages < 10, "no new wait inside the gap");
            page = page(since, 2); // 20 positions per request: three requests cross the gap
            got.addAll(keys(page));
            since = page.get("cursor").asText();
        }
        assertEquals(List.of("z@1"), got);
    }

    @Test
    void aCursorInsideABlockThatEndsBeforeItsPositionIsRefused() {
        commit(version("a", 1)); // position 1
        commit(version("b", 1), version("c", 1)); // positions 2-3
        ProtocolException e = assertThrows(ProtocolException.class, () -> reader.page(DB, cursor("{\"0\":[0,2]}"), 500));
        assertEquals("bad_cursor", e.code());
        assertTrue(e.getMessage().contains("without since"), e.getMessage());
    }

    @Test
    void anEntryOrARecordNotInIdbsyncsFormatIsWaitedForThenSkippedLikeAMissingOne() throws IOException {
        commit(version("a", 1)); // position 1
        commit(version("b", 1)); // position 2
        commit(version("c", 1)); // position 3
        feed.put(Feed.entryKey(DB, 0, 1), "{not json");
        records.put("\"b\"", "[\"not a record\"]");
        JsonNode p1 = page(null, 10);
        assertEquals(List.of(), keys(p1), "waits: it may be a write in progress");
        assertTrue(p1.get("hasMore").asBoolean());
        now.addAndGet(STALL_MS + 1);
        JsonNode p2 = page(p1.get("cursor").asText(), 10);
        assertEquals(List.of(), keys(p2), "the bad entry is skipped; the bad record's wait begins");
        now.addAndGet(STALL_MS + 1);
        JsonNode p3 = page(p2.get("cursor").asText(), 10);
        assertEquals(List.of("c@1"), keys(p3));
        assertFalse(p3.get("hasMore").asBoolean());
        assertEquals(2, reader.skipped());
    }

    @Test
    void theLongestCursorOfAServerWithManyPartitionsIsAccepted() throws IOException {
        Path yaml = dir.resolve("wide.yaml");
        Files.writeString(yaml, "dbs:\n  notes-app:\n    stores:\n      notes: {}\ntopology:\n  resolveParallelism: 1000\n",
                StandardCharsets.UTF_8);
        FeedReader wide = new FeedReader(ConfigLoader.load(yaml), new FeedReader.Source() {
            @Override
            public Map<String, String> feed(Set<String> keys) {
                Map<String, String> out = new HashMap<>();
                keys.stream().filter(k -> k.endsWith("|head")).forEach(k -> out.put(k, Long.toString(Long.MAX_VALUE)));
                return out;
            }

            @Override
            public Map<String, String> records(StoreConfig store, Set<String> keys) {
                return Map.of();
            }
        }, now::get, STALL_MS);
        Map<Integer, Feed.Position> positions = new java.util.TreeMap<>();
        for (int p = 0; p < 1000; p++) {
            positions.put(p, Feed.Position.at(Long.MAX_VALUE)); // every partition read to its head
        }
        String cursor = Feed.encodeCursor(positions);
        assertTrue(cursor.length() > 8192, "longer than a fixed 8 KiB bound: " + cursor.length());
        JsonNode page = Json.MAPPER.readTree(wide.page(DB, cursor, 10));
        assertFalse(page.get("hasMore").asBoolean());
        assertEquals(cursor, page.get("cursor").asText());
        assertTrue(Feed.encodeCursor(Map.of(999_999_999, new Feed.Position(Long.MAX_VALUE - 1, Long.MAX_VALUE))).length()
                <= Feed.maxCursorChars(1), "the bound holds for the longest entry");
    }

    @Test
    void forgedCursorsInsideBlocksCannotPushOutTheWaitForAGoneRecord() throws IOException {
        commit(version("a", 1), version("b", 1)); // positions 1-2
        commit(version("c", 1)); // position 3
        records.remove("\"b\""); // deleted by hand
        JsonNode p1 = page(null, 10);
        assertEquals(List.of("a@1"), keys(p1), "the wait at b begins");
        // Partition 1 has a head and no entry where these cursors say a block starts: each is a
        // stall of its own, more of them than the reader remembers.
        feed.put(Feed.headKey(DB, 1), "1000000");
        for (int r = 1; r <= FeedReader.MAX_STALLS_REMEMBERED + 1; r++) {
            reader.page(DB, cursor("{\"0\":3,\"1\":" + r + "}"), 1);
        }
        now.addAndGet(STALL_MS + 1);
        JsonNode p2 = page(p1.get("cursor").asText(), 10);
        assertEquals(List.of("c@1"), keys(p2), "b is skipped once the bound has passed since it was first seen");
    }
}
