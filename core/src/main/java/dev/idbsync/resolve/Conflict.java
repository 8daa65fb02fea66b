package dev.idbsync.resolve;

import dev.idbsync.protocol.Change;
import java.util.List;

/**
 * Everything a {@link ConflictPolicy} may look at.
 *
 * @param change          the incoming change
 * @param changeTs        its ts corrected by its client's clock skew (compare this, never {@code change.ts()})
 * @param stored          the record as it is now (a tombstone when it was deleted)
 * @param othersSinceBase the writes of other clients with a version above the change's
 *                        baseVersion, oldest first. Never empty. An entry with {@code op} null
 *                        stands for several older writes folded together (clientId null when
 *                        they were of several clients; ts the latest of them; fields the union),
 *                        or, when the record's history does not reach back to baseVersion, for
 *                        the writes it cannot see (clientId, fields null; ts of the oldest entry
 *                        kept, version one below it).
 *                        <p>{@link Resolver} hands a policy copies of the change and the record:
 *                        changing them changes nothing; return {@link Resolution#store} instead.
 */
public record Conflict(Change change, long changeTs, RecordState stored, List<Write> othersSinceBase) {
}
