package dev.idbsync.ignite;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Json;
import java.util.Map;

/**
 * One GET /v1/changes page as it is filled, over all partitions: the changes so far (at most
 * {@code limit}), and the positions it may still scan ({@link FeedReader#SCAN_FACTOR} x
 * {@code limit} at first; compacted and skipped positions use them up too), then the body.
 */
final class FeedPage {
    private final ObjectNode body = Json.MAPPER.createObjectNode();
    private final ArrayNode changes = body.putArray("changes");
    private final int limit;
    private int budget;

    FeedPage(int limit) {
        this.limit = limit;
        this.budget = FeedReader.SCAN_FACTOR * limit;
    }

    /** Room for another change, and positions left to scan. */
    boolean open() {
        return changes.size() < limit && budget > 0;
    }

    int limit() {
        return limit;
    }

    /** Positions this page may still scan. */
    int budget() {
        return budget;
    }

    /** {@code positions} were scanned (at most the budget left). */
    void scanned(long positions) {
        budget -= (int) Math.min(budget, positions);
    }

    void add(ObjectNode change) {
        changes.add(change);
    }

    /** The body: {@code {"changes": [...], "cursor": "...", "hasMore": ...}}. */
    String body(Map<Integer, Feed.Position> cursor, boolean hasMore) {
        body.put("cursor", Feed.encodeCursor(cursor));
        body.put("hasMore", hasMore);
        return body.toString();
    }
}
