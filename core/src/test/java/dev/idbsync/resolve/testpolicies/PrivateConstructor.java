package dev.idbsync.resolve.testpolicies;

import dev.idbsync.resolve.Conflict;
import dev.idbsync.resolve.ConflictPolicy;
import dev.idbsync.resolve.Resolution;

/** A policy whose no-argument constructor is private. */
public final class PrivateConstructor implements ConflictPolicy {
    private PrivateConstructor() {
    }

    @Override
    public Resolution resolve(Conflict conflict) {
        return Resolution.keepStored();
    }
}
