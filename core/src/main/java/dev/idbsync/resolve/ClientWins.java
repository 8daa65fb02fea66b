package dev.idbsync.resolve;

/**
 * {@code client-wins}: a conflicting change is applied as if there were no conflict; the last
 * change to arrive at the server wins, whatever its ts.
 */
public final class ClientWins implements ConflictPolicy {
    public static final String NAME = "client-wins";

    @Override
    public Resolution resolve(Conflict conflict) {
        return Resolution.applyChange();
    }

    @Override
    public String toString() {
        return NAME;
    }
}
