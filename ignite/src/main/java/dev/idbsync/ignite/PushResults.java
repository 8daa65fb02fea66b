package dev.idbsync.ignite;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The answer the sequencer leaves for a push it refused part way: from {@code fromSeq} on,
 * every change of the push is {@code pending} or {@code out_of_order} (with {@code expectedSeq}).
 * Kept in {@link SyncCaches#PUSH_RESULTS_CACHE} under the push key; the spout reads it when it
 * answers the push.
 */
public final class PushResults {
    public static final String PENDING = "pending";
    public static final String OUT_OF_ORDER = "out_of_order";

    private PushResults() {
    }

    public static String toJson(long fromSeq, String status, long expectedSeq) {
        var n = Json.MAPPER.createObjectNode().put("fromSeq", fromSeq).put("status", status);
        if (OUT_OF_ORDER.equals(status)) {
            n.put("expectedSeq", expectedSeq);
        }
        return n.toString();
    }

    public static JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("a push result in Ignite is not in idbsync's format: " + json, e);
        }
    }
}
