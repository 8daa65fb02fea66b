package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.protocol.Json;
import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** A page's limits (changes, and positions scanned) and its body. */
class FeedPageTest {
    @Test
    void aPageClosesWhenItHoldsLimitChanges() {
        FeedPage page = new FeedPage(2);
        assertTrue(page.open());
        page.add(Json.MAPPER.createObjectNode().put("key", "a"));
        assertTrue(page.open());
        page.add(Json.MAPPER.createObjectNode().put("key", "b"));
        assertFalse(page.open());
    }

    @Test
    void aPageClosesWhenItHasScannedItsBudgetWhateverItHolds() {
        FeedPage page = new FeedPage(3);
        assertEquals(FeedReader.SCAN_FACTOR * 3, page.budget());
        page.scanned(1);
        assertEquals(FeedReader.SCAN_FACTOR * 3 - 1, page.budget());
        assertTrue(page.open());
        page.scanned(Long.MAX_VALUE); // a skipped gap longer than the budget uses up what is left, no more
        assertEquals(0, page.budget());
        assertFalse(page.open());
    }

    @Test
    void theBodyHoldsTheChangesTheCursorAndHasMore() throws IOException {
        FeedPage page = new FeedPage(10);
        page.add(Json.MAPPER.createObjectNode().put("key", "a"));
        Map<Integer, Feed.Position> pos = new TreeMap<>(Map.of(0, Feed.Position.at(4), 2, new Feed.Position(6, 8)));
        JsonNode body = Json.MAPPER.readTree(page.body(pos, true));
        assertEquals("a", body.get("changes").get(0).get("key").asText());
        assertEquals(1, body.get("changes").size());
        assertEquals(pos, Feed.decodeCursor(body.get("cursor").asText()));
        assertTrue(body.get("hasMore").asBoolean());
    }
}
