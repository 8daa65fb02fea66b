package dev.idbsync.resolve;

import java.util.Objects;

/**
 * {@code lww}, the default: the change is compared with the record's last accepted write (the
 * stored record's skew-corrected {@code ts}); the later one wins, and on equal times the greater
 * {@code clientId} ({@link String#compareTo}). A delete is a write like any other: a later delete
 * beats an earlier put and a later put revives a deleted record. The winning change is applied;
 * a losing one gets {@code conflict} with the stored record.
 *
 * <p>When the last accepted write is the change's own client's, the change is applied: a
 * client's own writes never conflict with its later ones, and the other clients' writes that
 * made this a conflict were already settled when that earlier write was accepted. (Comparing
 * times there would let a client's write lose to its own previous one whenever two requests
 * got slightly different skew corrections.)
 */
public final class LastWriterWins implements ConflictPolicy {
    public static final String NAME = "lww";

    @Override
    public Resolution resolve(Conflict conflict) {
        RecordState stored = conflict.stored();
        String clientId = conflict.change().clientId();
        if (Objects.equals(stored.clientId(), clientId)) {
            return Resolution.applyChange();
        }
        return wins(conflict.changeTs(), clientId, stored.ts(), stored.clientId())
                ? Resolution.applyChange() : Resolution.keepStored();
    }

    /**
     * Whether a write at {@code ts} by {@code clientId} beats one at {@code otherTs} by
     * {@code otherClientId}: the later ts, on a tie the greater clientId. An unknown other client
     * (null) wins ties.
     */
    static boolean wins(long ts, String clientId, long otherTs, String otherClientId) {
        if (ts != otherTs) {
            return ts > otherTs;
        }
        if (otherClientId == null) {
            return false;
        }
        return clientId != null && clientId.compareTo(otherClientId) > 0;
    }

    @Override
    public String toString() {
        return NAME;
    }
}
