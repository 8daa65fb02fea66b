package dev.idbsync.resolve.testpolicies;

import dev.idbsync.resolve.Conflict;
import dev.idbsync.resolve.ConflictPolicy;
import dev.idbsync.resolve.Resolution;

/** A policy that can only be made with an argument. */
public final class NoNoArgConstructor implements ConflictPolicy {
    private final String field;

    public NoNoArgConstructor(String field) {
        this.field = field;
    }

    @Override
    public Resolution resolve(Conflict conflict) {
        return Resolution.keepStored();
    }
}
