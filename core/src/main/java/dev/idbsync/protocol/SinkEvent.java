package dev.idbsync.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One decided change as the sinks after Ignite (Flume, files, Kafka) receive it: the record as
 * it is after the change was resolved, and who changed it. Delivered at least once: a sink may
 * see an event again after a failure, and {@link #eventId} lets its readers drop the repeat.
 *
 * @param eventId    {@code db/clientId/seq}, stable across retries and replays
 * @param key        the record's key as the client sent it; {@code keyString} is its canonical form
 * @param op         the record's op after resolution ("delete": a tombstone)
 * @param value      the record's value after resolution; null for a tombstone
 * @param version    the record's version after resolution
 * @param ts         the change's ts corrected by its client's clock skew
 * @param serverTs   the server's clock when the change was decided
 * @param status     {@code applied} or {@code conflict}
 * @param policy     for a conflict: the policy that settled it
 * @param losingOp   for a conflict: the op the client sent
 * @param losingValue for a conflict: the value the client sent (absent for a delete), whatever the record became
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SinkEvent(String eventId, String db, String store, JsonNode key, String keyString, Op op, ObjectNode value,
                        long version, String clientId, long seq, long ts, long serverTs, Status status, String policy,
                        Op losingOp, ObjectNode losingValue) {

    public String toJson() {
        try {
            return Json.MAPPER.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static SinkEvent fromJson(JsonNode node) {
        try {
            return Json.MAPPER.treeToValue(node, SinkEvent.class);
        } catch (IOException e) {
            throw new UncheckedIOException("not a sink event: " + node, e);
        }
    }
}
