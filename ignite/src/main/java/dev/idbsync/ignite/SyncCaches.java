package dev.idbsync.ignite;

import dev.idbsync.config.CacheNames;
import dev.idbsync.config.IgniteConfig;
import dev.idbsync.config.StoreConfig;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.expiry.ModifiedExpiryPolicy;
import org.apache.ignite.cache.CacheAtomicityMode;
import org.apache.ignite.cache.CacheMode;
import org.apache.ignite.cache.CacheWriteSynchronizationMode;
import org.apache.ignite.client.ClientCache;
import org.apache.ignite.client.ClientCacheConfiguration;
import org.apache.ignite.client.IgniteClient;

/**
 * The caches one component uses, created on first use with the same settings everywhere:
 * partitioned, {@code ignite.cacheBackups} backups, and FULL_SYNC so that a write returns only
 * once every copy has it (an acknowledged change must survive the loss of a node that held it).
 * Records and outcomes are TRANSACTIONAL: the resolver writes a batch's records and outcomes in
 * one transaction, so they are committed together: after a failure there is never an outcome
 * without its record, nor a record version without its outcome. One instance per component instance; it holds no state beyond the handles.
 *
 * <p>The names of idbsync's own caches are {@link CacheNames}' (the config refuses them for stores);
 * the constants here say what each holds.
 */
public final class SyncCaches {
    /**
     * Each client's mark: {@code db/clientId} → the seq up to which every change is decided. Kept
     * for good, or with a client horizon ({@code retention.clients}) that long after it last moved.
     */
    public static final String MARKS_CACHE = CacheNames.MARKS;
    /**
     * Who owns each clientId when auth is on: {@code db/clientId} (the marks' key) → the {@code sub}
     * of the first token that pushed with it. Written once by the spout with {@code putIfAbsent},
     * never changed; kept for good, or with a client horizon ({@code retention.clients}) twice that
     * after it was last confirmed ({@code ClientOwners}).
     */
    public static final String OWNERS_CACHE = CacheNames.OWNERS;
    /** Answers that belong to one push (pending, out_of_order): push key → JSON; kept an hour. */
    public static final String PUSH_RESULTS_CACHE = CacheNames.PUSH_RESULTS;
    /** Rejected changes: {@code db/clientId/seq} → entry JSON ({@link RejectedLog}). */
    public static final String REJECTED_CACHE = CacheNames.REJECTED;
    /** Each client's rejected seqs in commit order: {@code db/clientId} → {@link RejectedLog.Index} JSON. */
    public static final String REJECTED_INDEX_CACHE = CacheNames.REJECTED_INDEX;
    /** The change feed's logs and heads ({@link Feed}). */
    public static final String FEED_CACHE = CacheNames.FEED;
    /**
     * Each spout task's HTTP endpoint ({@link Endpoints}): {@code topologyName/taskIndex} → endpoint
     * JSON, rewritten every 5 s and removed on a clean close; an entry not rewritten for an hour
     * (a task that died) expires.
     */
    public static final String ENDPOINTS_CACHE = CacheNames.ENDPOINTS;

    private final IgniteClient client;
    private final IgniteConfig config;
    private final Map<String, ClientCache<String, String>> handles = new HashMap<>();

    public SyncCaches(IgniteClient client, IgniteConfig config) {
        this.client = client;
        this.config = config;
    }

    /** The cache of a store's records: canonical key → record JSON. */
    public ClientCache<String, String> records(StoreConfig store) {
        return cache(store.cache(), CacheAtomicityMode.TRANSACTIONAL, 0);
    }

    /** The cache of change outcomes: {@code db/clientId/seq} → result JSON, kept {@code ignite.outcomeRetentionHours}. */
    public ClientCache<String, String> outcomes() {
        return cache(config.outcomesCache(), CacheAtomicityMode.TRANSACTIONAL, config.outcomeRetentionHours());
    }

    public ClientCache<String, String> rejected() {
        return cache(REJECTED_CACHE, CacheAtomicityMode.TRANSACTIONAL, config.rejectedRetentionHours());
    }

    /** Kept as long as the rejected entries, counted from each client's latest rejection. */
    public ClientCache<String, String> rejectedIndex() {
        return cache(REJECTED_INDEX_CACHE, CacheAtomicityMode.TRANSACTIONAL, -config.rejectedRetentionHours());
    }

    public ClientCache<String, String> feed() {
        return cache(FEED_CACHE, CacheAtomicityMode.TRANSACTIONAL, 0);
    }

    public ClientCache<String, String> marks() {
        return cache(MARKS_CACHE, CacheAtomicityMode.ATOMIC, 0);
    }

    /** ATOMIC: one {@code putIfAbsent} per binding, atomic across spout tasks and workers. */
    public ClientCache<String, String> owners() {
        return cache(OWNERS_CACHE, CacheAtomicityMode.ATOMIC, 0);
    }

    /** ATOMIC: one task writes each key; kept an hour from its last heartbeat. */
    public ClientCache<String, String> endpoints() {
        return cache(ENDPOINTS_CACHE, CacheAtomicityMode.ATOMIC, -1);
    }

    public ClientCache<String, String> pushResults() {
        return cache(PUSH_RESULTS_CACHE, CacheAtomicityMode.ATOMIC, 1);
    }

    /**
     * {@code cache} as seen by writes that expire {@code ms} after the entry's last write (each
     * write starts the time again: Ignite's per-operation expiry, which works on a cache created
     * without one, so existing deployments need no new cache); {@code cache} itself when
     * {@code ms} is 0. Used for the client horizon ({@code retention.clients}): marks and owners.
     */
    public static ClientCache<String, String> expiringAfterWrite(ClientCache<String, String> cache, long ms) {
        return ms <= 0 ? cache : cache.withExpirePolicy(new ModifiedExpiryPolicy(new Duration(TimeUnit.MILLISECONDS, ms)));
    }

    private synchronized ClientCache<String, String> cache(String name, CacheAtomicityMode mode, int expiryHours) {
        return handles.computeIfAbsent(name, n -> {
            ClientCacheConfiguration cc = new ClientCacheConfiguration()
                    .setName(n)
                    .setCacheMode(CacheMode.PARTITIONED)
                    .setBackups(config.cacheBackups())
                    .setAtomicityMode(mode)
                    .setWriteSynchronizationMode(CacheWriteSynchronizationMode.FULL_SYNC);
            // expiryHours > 0: counted from creation; < 0: from the last update; 0: never
            if (expiryHours > 0) {
                cc.setExpiryPolicy(new CreatedExpiryPolicy(new Duration(TimeUnit.HOURS, expiryHours)));
            } else if (expiryHours < 0) {
                cc.setExpiryPolicy(new ModifiedExpiryPolicy(new Duration(TimeUnit.HOURS, -expiryHours)));
            }
            return client.getOrCreateCache(cc);
        });
    }

    public IgniteClient client() {
        return client;
    }
}
