package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.ProtocolException;
import dev.idbsync.resolve.RecordState;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeedTest {
    private static RecordState version(String key, long v) {
        return new RecordState("notes-app", "notes", TextNode.valueOf(key), Op.PUT,
                Json.MAPPER.createObjectNode().put("title", key), v, "c1", v, 1L, 2L, List.of());
    }

    @Test
    void aBlockHoldsStoreKeyAndVersionOfEachVersionInOrder() {
        String block = Feed.block(List.of(version("a", 1), version("b", 4), version("a", 2)));
        List<JsonNode> vs = Feed.versions(block);
        assertEquals(3, vs.size());
        assertEquals("b", vs.get(1).get("key").asText());
        assertEquals(4, vs.get(1).get("version").asLong());
        assertEquals("notes", vs.get(2).get("store").asText());
        assertTrue(!block.contains("title"), "no value in the feed: " + block);
    }

    @Test
    void anEntryWrittenBeforeBlocksIsABlockOfOne() {
        List<JsonNode> vs = Feed.versions("{\"store\":\"notes\",\"key\":[\"2026\",7],\"version\":1}");
        assertEquals(1, vs.size());
        assertEquals(7, vs.get(0).get("key").get(1).asInt());
    }

    @Test
    void somethingElseInTheFeedIsAClearError() {
        for (String bad : new String[] {"[]", "{}", "[{\"store\":\"notes\"}]", "42", "{\"store\":"}) {
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Feed.versions(bad), bad);
            assertTrue(e.getMessage().contains("not in idbsync's format"), e.getMessage());
        }
    }

    @Test
    void cursorsBetweenBlocksAreNumbersAsBeforeAndInsideABlockAPair() {
        Map<Integer, Feed.Position> pos = new java.util.TreeMap<>(Map.of(0, Feed.Position.at(12), 3, new Feed.Position(20, 23)));
        String cursor = Feed.encodeCursor(pos);
        assertEquals(pos, Feed.decodeCursor(cursor));
        String json = new String(Base64.getUrlDecoder().decode(cursor.substring(3)), StandardCharsets.UTF_8);
        assertEquals("{\"0\":12,\"3\":[20,23]}", json);

        // a cursor an earlier version gave: a position per partition
        String old = "c1." + Base64.getUrlEncoder().withoutPadding().encodeToString("{\"0\":5,\"1\":0}".getBytes(StandardCharsets.UTF_8));
        assertEquals(Map.of(0, Feed.Position.at(5), 1, Feed.Position.at(0)), Feed.decodeCursor(old));
        assertEquals(Map.of(), Feed.decodeCursor(null));
    }

    @Test
    void aCursorThisServerCannotHaveGivenIsBadCursor() {
        for (String json : new String[] {"{\"0\":[5,4]}", "{\"0\":[1]}", "{\"0\":-1}", "{\"-1\":3}", "{\"0\":\"7\"}", "[1]",
                "{\"0\":[1,2,3]}", "{\"x\":1}"}) {
            String c = "c1." + Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
            ProtocolException e = assertThrows(ProtocolException.class, () -> Feed.decodeCursor(c), json);
            assertEquals("bad_cursor", e.code());
        }
        assertThrows(ProtocolException.class, () -> Feed.decodeCursor("c2.e30"));
    }
}
