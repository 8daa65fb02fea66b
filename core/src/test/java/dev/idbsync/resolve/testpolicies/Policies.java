package dev.idbsync.resolve.testpolicies;

import dev.idbsync.resolve.Conflict;
import dev.idbsync.resolve.ConflictPolicy;
import dev.idbsync.resolve.Resolution;

/** Holders of policy classes that cannot be used: abstract, not public, inner, nested. */
public final class Policies {
    private Policies() {
    }

    public abstract static class Abstract implements ConflictPolicy {
    }

    static final class NotPublic implements ConflictPolicy {
        public NotPublic() {
        }

        @Override
        public Resolution resolve(Conflict conflict) {
            return Resolution.keepStored();
        }
    }

    public final class Inner implements ConflictPolicy {
        @Override
        public Resolution resolve(Conflict conflict) {
            return Resolution.keepStored();
        }
    }

    /** A usable nested class: named with '$'. */
    public static final class Nested implements ConflictPolicy {
        @Override
        public Resolution resolve(Conflict conflict) {
            return Resolution.applyChange();
        }
    }
}
