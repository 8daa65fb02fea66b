package dev.idbsync.topology.it;

import dev.idbsync.resolve.Conflict;
import dev.idbsync.resolve.ConflictPolicy;
import dev.idbsync.resolve.Resolution;

/** A custom policy with a bug, for the tests: it throws on every conflict. */
public class ThrowingPolicy implements ConflictPolicy {
    @Override
    public Resolution resolve(Conflict conflict) {
        throw new IllegalStateException("a bug in the user's policy");
    }
}
