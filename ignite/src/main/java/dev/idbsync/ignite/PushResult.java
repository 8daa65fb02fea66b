package dev.idbsync.ignite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Status;
import dev.idbsync.sequence.Sequencer;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The answer the sequencer leaves for a push it refused part way: from {@code fromSeq} on, every
 * change of the push is {@code pending}, or {@code out_of_order} with {@code expectedSeq}. Kept in
 * {@link SyncCaches#PUSH_RESULTS_CACHE} under the push key; the spout reads it when it answers
 * the push. {@link #toJson()} and {@link #fromJson} are the one codec of that format
 * (docs/ignite.md, "Push results").
 *
 * @param expectedSeq the seq the client must resend from; null unless {@code out_of_order}
 */
public record PushResult(long fromSeq, Status status, Long expectedSeq) {
    public PushResult {
        if (status != Status.PENDING && status != Status.OUT_OF_ORDER) {
            throw new IllegalArgumentException("a push result is pending or out_of_order, not " + status);
        }
        if ((status == Status.OUT_OF_ORDER) != (expectedSeq != null)) {
            throw new IllegalArgumentException("expectedSeq goes with out_of_order, and only with it");
        }
    }

    /** What the sequencer refused change {@code fromSeq} of a push with ({@code PENDING} or {@code OUT_OF_ORDER}). */
    public static PushResult refused(long fromSeq, Sequencer.Outcome o) {
        return switch (o.verdict()) {
            case PENDING -> new PushResult(fromSeq, Status.PENDING, null);
            case OUT_OF_ORDER -> new PushResult(fromSeq, Status.OUT_OF_ORDER, o.expectedSeq());
            default -> throw new IllegalArgumentException("not a refusal: " + o);
        };
    }

    /** Whether this answer is the one for change {@code seq} of the push. */
    public boolean covers(long seq) {
        return seq >= fromSeq;
    }

    /** {@code {"fromSeq":3,"status":"out_of_order","expectedSeq":2}}, {@code {"fromSeq":1,"status":"pending"}}. */
    public String toJson() {
        ObjectNode n = Json.MAPPER.createObjectNode().put("fromSeq", fromSeq).put("status", status.wire());
        if (expectedSeq != null) {
            n.put("expectedSeq", expectedSeq);
        }
        return n.toString();
    }

    public static PushResult fromJson(String json) {
        try {
            JsonNode n = Json.MAPPER.readTree(json);
            JsonNode expected = n.get("expectedSeq");
            return new PushResult(n.get("fromSeq").asLong(), Status.fromWire(n.get("status").asText()),
                    expected == null ? null : expected.asLong());
        } catch (IOException | RuntimeException e) {
            throw new UncheckedIOException("a push result in Ignite is not in idbsync's format: " + json,
                    e instanceof IOException io ? io : new IOException(e));
        }
    }
}
