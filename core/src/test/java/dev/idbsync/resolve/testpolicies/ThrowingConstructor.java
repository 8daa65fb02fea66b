package dev.idbsync.resolve.testpolicies;

import dev.idbsync.resolve.Conflict;
import dev.idbsync.resolve.ConflictPolicy;
import dev.idbsync.resolve.Resolution;

/** A policy whose constructor fails. */
public final class ThrowingConstructor implements ConflictPolicy {
    public ThrowingConstructor() {
        throw new IllegalStateException("missing setting policy.threshold");
    }

    @Override
    public Resolution resolve(Conflict conflict) {
        return Resolution.keepStored();
    }
}
