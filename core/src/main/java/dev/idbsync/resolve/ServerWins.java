package dev.idbsync.resolve;

/**
 * {@code server-wins}: a conflicting change is never applied; the client gets {@code conflict}
 * with the stored record, whatever the times. The client must rebase its edit on that version
 * and send it again (with a new seq) if it still wants it.
 */
public final class ServerWins implements ConflictPolicy {
    public static final String NAME = "server-wins";

    @Override
    public Resolution resolve(Conflict conflict) {
        return Resolution.keepStored();
    }

    @Override
    public String toString() {
        return NAME;
    }
}
