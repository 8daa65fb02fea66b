package dev.idbsync.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * One change of a push, with the request's envelope (db, clientId, sentAt) and the server's
 * receive time attached so that it can travel alone through the topology.
 *
 * @param key       the key as sent (string, number or array)
 * @param keyString the key's canonical form ({@link Keys#canonical}); the record's identity
 * @param value     the new value of a put; null for a delete
 * @param fields    the top-level fields a put modified, or null when the client did not say
 * @param receivedAt server clock (epoch ms) when the request arrived; with {@code sentAt} it
 *                   gives the client's skew
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Change(String db, String clientId, long seq, String store, JsonNode key, String keyString,
                     Op op, ObjectNode value, long baseVersion, long ts, List<String> fields,
                     long sentAt, long receivedAt) {

    /** {@code db/clientId/seq}: the stable id of this change in every sink. */
    public String eventId() {
        return eventId(db, clientId, seq);
    }

    public static String eventId(String db, String clientId, long seq) {
        return db + "/" + clientId + "/" + seq;
    }

    /**
     * {@code ts} clamped to {@code sentAt} (a change cannot have been made after the request that
     * carries it was sent, so a client cannot win every {@code lww} conflict by dating its edits
     * into the future), then corrected by the client's clock skew (server receive time minus
     * sentAt). Equal to {@code receivedAt - (sentAt - min(ts, sentAt))}; it saturates instead of
     * overflowing, though {@link EnvelopeParser} already keeps both times within
     * 0..{@link EnvelopeParser#MAX_TIME}.
     */
    public long correctedTs() {
        long age = sentAt - Math.min(ts, sentAt); // >= 0 unless it overflowed
        if (age < 0) {
            age = Long.MAX_VALUE;
        }
        long corrected = receivedAt - age;
        return corrected > receivedAt ? Long.MIN_VALUE : corrected;
    }
}
