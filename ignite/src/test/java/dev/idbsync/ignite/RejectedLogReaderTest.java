package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** GET /v1/rejected's pages on an in-memory stand-in for Ignite's caches and a clock the test moves. */
class RejectedLogReaderTest {
    private static final String DB = "notes-app";
    private static final String CLIENT = "c1";
    private static final long RETENTION_MS = 60_000;
    private static final ChangeError SCHEMA = new ChangeError("schema", "/value/title", "must be a string");

    private final Map<String, String> index = new HashMap<>();
    private final Map<String, String> entries = new HashMap<>();
    private final List<Set<String>> entryReads = new ArrayList<>();
    private final AtomicLong now = new AtomicLong(1_000_000);
    private final RejectedLogReader reader = new RejectedLogReader(new RejectedLogReader.Source() {
        @Override
        public String index(String clientKey) {
            return index.get(clientKey);
        }

        @Override
        public Map<String, String> entries(Set<String> keys) {
            entryReads.add(keys);
            Map<String, String> out = new HashMap<>();
            keys.forEach(k -> {
                if (entries.containsKey(k)) {
                    out.put(k, entries.get(k));
                }
            });
            return out;
        }
    }, now::get, RETENTION_MS);

    private static Change change(long seq) {
        return new Change(DB, CLIENT, seq, "notes", TextNode.valueOf("n-" + seq), "\"n-" + seq + "\"", Op.PUT,
                Json.MAPPER.createObjectNode().put("title", 1), 0, 5, null, 5, 5);
    }

    /** Rejects these seqs in one batch at the clock's time, as the resolver writes them. */
    private void reject(long... seqs) {
        List<Long> list = new ArrayList<>();
        for (long s : seqs) {
            entries.put(Change.eventId(DB, CLIENT, s), RejectedLog.entry(change(s), SCHEMA, now.get(), 1024).toString());
            list.add(s);
        }
        String key = RejectedLog.clientKey(DB, CLIENT);
        index.put(key, RejectedLog.append(index.get(key), list, now.get()));
    }

    private JsonNode page(long since, int limit) throws IOException {
        return Json.MAPPER.readTree(reader.page(DB, CLIENT, since, limit));
    }

    private static List<Long> seqs(JsonNode page) {
        List<Long> out = new ArrayList<>();
        page.get("rejected").forEach(e -> out.add(e.get("seq").asLong()));
        return out;
    }

    @Test
    void pagesInCommitOrderWithACursorThatIsAPosition() throws IOException {
        reject(4, 2);
        reject(7);
        JsonNode first = page(0, 2);
        assertEquals(List.of(4L, 2L), seqs(first));
        assertEquals("2", first.get("cursor").asText());
        assertTrue(first.get("hasMore").asBoolean());
        JsonNode e = first.get("rejected").get(0);
        assertEquals(List.of("seq", "change", "error", "at"), fieldNames(e));
        assertEquals(Json.MAPPER.valueToTree(SCHEMA), e.get("error"));
        assertEquals(4, e.get("change").get("seq").asLong());
        assertEquals(1_000_000, e.get("at").asLong());

        JsonNode second = page(2, 2);
        assertEquals(List.of(7L), seqs(second));
        assertEquals("3", second.get("cursor").asText());
        assertEquals(false, second.get("hasMore").asBoolean());
        assertEquals("{\"rejected\":[],\"cursor\":\"3\",\"hasMore\":false}", reader.page(DB, CLIENT, 3, 2));
    }

    @Test
    void aClientWithoutRejectionsHasAnEmptyPageAndNothingIsRead() {
        assertEquals("{\"rejected\":[],\"cursor\":\"0\",\"hasMore\":false}", reader.page(DB, CLIENT, 0, 500));
        assertEquals(List.of(), entryReads);
    }

    @Test
    void anEntryNotVisibleYetEndsThePageAndIsReadNextTime() throws IOException {
        reject(1, 2, 3);
        entries.remove(Change.eventId(DB, CLIENT, 2)); // its transaction is committing
        JsonNode p = page(0, 10);
        assertEquals(List.of(1L), seqs(p));
        assertEquals("1", p.get("cursor").asText());
        assertTrue(p.get("hasMore").asBoolean());
    }

    @Test
    void anEntryPastTheRetentionIsSkipped() throws IOException {
        reject(1, 2);
        now.addAndGet(RETENTION_MS);
        reject(3);
        entries.remove(Change.eventId(DB, CLIENT, 1)); // expired
        JsonNode p = page(0, 10);
        assertEquals(List.of(2L, 3L), seqs(p));
        assertEquals("3", p.get("cursor").asText());
        assertEquals(false, p.get("hasMore").asBoolean());
    }

    @Test
    void aCursorPastTheEndReadsTheIndexFromItsStartAndOneBelowItsBaseFromTheBase() throws IOException {
        reject(1, 2);
        assertEquals(List.of(1L, 2L), seqs(page(9, 10)), "the index expired and started anew");
        index.put(RejectedLog.clientKey(DB, CLIENT), "{\"base\":5,\"seqs\":[8,9],\"ats\":[1000000,1000000]}");
        entries.put(Change.eventId(DB, CLIENT, 8), entries.get(Change.eventId(DB, CLIENT, 1)));
        entries.put(Change.eventId(DB, CLIENT, 9), entries.get(Change.eventId(DB, CLIENT, 2)));
        JsonNode p = page(0, 10);
        assertEquals(List.of(8L, 9L), seqs(p));
        assertEquals("7", p.get("cursor").asText());
    }

    @Test
    void anEntryIdbsyncDidNotWriteIsAClearError() {
        reject(1);
        entries.put(Change.eventId(DB, CLIENT, 1), "[1]");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> reader.page(DB, CLIENT, 0, 10));
        assertTrue(e.getMessage().contains("not in idbsync's format"), e.getMessage());
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> out = new ArrayList<>();
        n.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
