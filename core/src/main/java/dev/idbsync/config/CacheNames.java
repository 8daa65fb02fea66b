package dev.idbsync.config;

import java.util.Set;

/**
 * The names of the Ignite caches idbsync keeps for itself, defined here only: the config refuses
 * them for a store ({@link SyncConfig}), and the ignite module's {@code SyncCaches} creates and
 * opens them under these names (and says what they hold). Unlike a store's cache and
 * {@code ignite.outcomesCache}, they cannot be configured.
 */
public final class CacheNames {
    /** Each client's mark. */
    public static final String MARKS = "idbsync_marks";
    /** Which user owns each clientId (auth on): {@code db/clientId} → the token's {@code sub}. */
    public static final String OWNERS = "idbsync_owners";
    /** The answers of pushes the sequencer refused part way. */
    public static final String PUSH_RESULTS = "idbsync_push_results";
    /** The rejected-changes log. */
    public static final String REJECTED = "idbsync_rejected";
    /** Each client's rejected seqs in commit order. */
    public static final String REJECTED_INDEX = "idbsync_rejected_index";
    /** The change feed. */
    public static final String FEED = "idbsync_feed";
    /** Each spout task's HTTP endpoint with a heartbeat: {@code topologyName/taskIndex} → endpoint JSON. */
    public static final String ENDPOINTS = "idbsync_endpoints";

    /** All of the above. */
    public static final Set<String> FIXED = Set.of(MARKS, OWNERS, PUSH_RESULTS, REJECTED, REJECTED_INDEX, FEED,
            ENDPOINTS);

    private CacheNames() {
    }
}
