package dev.idbsync.resolve.testpolicies;

/** Has a public no-argument constructor but does not implement ConflictPolicy. */
public final class NotAPolicy {
    public NotAPolicy() {
    }
}
