package dev.idbsync.auth;

import java.util.Set;

/**
 * Who sent a request, as its token says (PROTOCOL.md 1.1, "Authentication and scoping"): the
 * user ({@code sub}) and the grants ({@code <db>:write}, {@code <db>:read}). With auth off every
 * request is {@link #ANYONE}: no user, every grant.
 *
 * @param user the token's {@code sub}; null when auth is off
 * @param grants the grants the token carries (empty when auth is off: {@link #all} says so)
 * @param all whether every grant is held (auth off)
 */
public record Principal(String user, Set<String> grants, boolean all) {
    /** A request when auth is off. */
    public static final Principal ANYONE = new Principal(null, Set.of(), true);

    public Principal {
        grants = Set.copyOf(grants);
    }

    /** A user with these grants. */
    public static Principal of(String user, Set<String> grants) {
        return new Principal(user, grants, false);
    }

    /** Whether the user may push to {@code db}. */
    public boolean canWrite(String db) {
        return all || grants.contains(db + ":write");
    }

    /** The grant that lets a token read {@code GET /metrics}. */
    public static final String METRICS_READ = "idbsync:metrics";

    /** Whether the user may read the worker's metrics ({@code GET /metrics}). */
    public boolean canReadMetrics() {
        return all || grants.contains(METRICS_READ);
    }

    /** Whether the user may pull {@code db}'s change feed. */
    public boolean canRead(String db) {
        return all || grants.contains(db + ":read");
    }
}
