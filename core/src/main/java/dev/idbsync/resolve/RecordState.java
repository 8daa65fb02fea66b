package dev.idbsync.resolve;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * A record as the server holds it: its latest accepted version and the recent writes that led
 * there. This is also exactly what is stored in the store's Ignite cache, as a JSON String under
 * the key's canonical form, so any thin client can read it without idbsync's classes.
 *
 * @param key      the key as the client sent it
 * @param op       the op of the write that made this version; "delete" leaves a tombstone
 * @param value    the record's value; null for a tombstone
 * @param version  1 on the first accepted write, +1 on each later one, deletes included
 * @param clientId the client whose change made this version (for a merged value: the client
 *                 whose change triggered the merge)
 * @param seq      that change's seq
 * @param ts       that change's ts corrected by its client's clock skew
 * @param serverTs the server's clock when the version was made
 * @param history  the record's writes, oldest first, the latest one included, in at most
 *                 {@link #HISTORY} entries: the newest as they were, older ones folded together
 *                 (an entry with no {@code op} stands for several writes; see {@link Write})
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RecordState(String db, String store, JsonNode key, Op op, ObjectNode value, long version,
                          String clientId, long seq, long ts, long serverTs, List<Write> history) {

    /**
     * History entries kept per record. Beyond this many writes, older neighbouring writes are
     * folded into one entry, those of one client first: a change whose baseVersion lies inside
     * a folded entry of several clients is treated as conflicting with writes of other clients
     * it cannot tell apart; a client's own writes never conflict (see docs/conflicts.md).
     */
    public static final int HISTORY = 32;

    public boolean deleted() {
        return op == Op.DELETE;
    }

    public String toJson() {
        try {
            return Json.MAPPER.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static RecordState fromJson(String json) {
        try {
            return Json.MAPPER.readValue(json, RecordState.class);
        } catch (IOException e) {
            throw new UncheckedIOException("a record in Ignite is not in idbsync's format: " + json, e);
        }
    }
}
