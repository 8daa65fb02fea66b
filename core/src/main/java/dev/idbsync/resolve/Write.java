package dev.idbsync.resolve;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.idbsync.protocol.Op;
import java.util.List;

/**
 * One accepted write of a record, as the record's history keeps it: enough to tell whether a
 * later change conflicts with it (who wrote it, at which version) and how a policy settles the
 * conflict (when, and which top-level fields it changed).
 *
 * @param version  the version this write made
 * @param clientId the client whose change it was
 * @param ts       the change's ts corrected by its client's clock skew
 * <p>An entry with {@code op} null stands for several writes: a folded entry of a long history
 * (the writes after the entry before it, up to and including {@code version}) or the stand-in a
 * {@link Conflict} gives for writes a history does not reach back to. Its {@code clientId} is
 * their one client, or null when they were several or unknown; its {@code ts} is the latest of
 * their times; its {@code fields} the union of theirs.
 *
 * @param op       put or delete; null for an entry that stands for several writes
 * @param fields   the top-level fields it changed; null means all of them (a put without
 *                 {@code fields}, a delete, a value a policy built over a tombstone, or an entry
 *                 that stands for writes of unknown fields). A value a policy built over a stored
 *                 value lists the fields in which it differs from that value.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Write(long version, String clientId, long ts, Op op, List<String> fields) {

    /** Whether this write changed the given top-level field. */
    public boolean changed(String field) {
        return fields == null || fields.contains(field);
    }
}
