package dev.idbsync.resolve;

/**
 * Settles a conflict: a change whose {@code baseVersion} is older than a write another client
 * made to the same record. Configured per store as {@code lww}, {@code server-wins},
 * {@code client-wins}, {@code merge} or {@code custom:<fully.qualified.ClassName>}; a custom
 * policy is a public class with a public no-argument constructor that implements this interface.
 *
 * <p>A policy must be deterministic: the same {@link Conflict} must always give the same
 * {@link Resolution}, on any worker, on a replay and after a restart. So it must not read
 * clocks, random numbers, files, the network or mutable state of its own; everything it may use
 * is in the conflict. It is called from one thread at a time per instance.
 */
@FunctionalInterface
public interface ConflictPolicy {
    Resolution resolve(Conflict conflict);
}
