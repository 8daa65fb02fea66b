package dev.idbsync.ignite;

import dev.idbsync.config.CacheNames;
import dev.idbsync.config.IgniteConfig;
import dev.idbsync.config.StoreConfig;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.expiry.ExpiryPolicy;
import javax.cache.expiry.ModifiedExpiryPolicy;
import org.apache.ignite.cache.CacheAtomicityMode;
import org.apache.ignite.cache.CacheMode;
import org.apache.ignite.cache.CacheWriteSynchronizationMode;
import org.apache.ignite.cache.affinity.rendezvous.RendezvousAffinityFunction;
import org.apache.ignite.client.ClientCache;
import org.apache.ignite.client.ClientCacheConfiguration;
import org.apache.ignite.client.IgniteClient;
import org.apache.ignite.configuration.CacheConfiguration;

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

    /**
     * How idbsync creates one of its caches: its name, atomicity and expiry ({@code expiryHours}
     * &gt; 0: counted from creation; &lt; 0: from the last update; 0: never). Partitioned, FULL_SYNC,
     * {@code ignite.cacheBackups} backups. The one description of each cache, for the thin client
     * ({@link #client}) and for the embedded node, which creates them itself ({@link #server}).
     */
    public record CacheSpec(String name, CacheAtomicityMode mode, int expiryHours) {
        /** The settings a thin client asks for when it creates the cache. */
        public ClientCacheConfiguration client(int backups) {
            ClientCacheConfiguration cc = new ClientCacheConfiguration()
                    .setName(name)
                    .setCacheMode(CacheMode.PARTITIONED)
                    .setBackups(backups)
                    .setAtomicityMode(mode)
                    .setWriteSynchronizationMode(CacheWriteSynchronizationMode.FULL_SYNC);
            if (expiryHours != 0) {
                cc.setExpiryPolicy(expiry());
            }
            return cc;
        }

        /**
         * The same settings for a server node, and {@code partitions} partitions (a thin client
         * cannot choose them: its caches get Ignite's default, 1024).
         */
        public CacheConfiguration<String, String> server(int backups, int partitions) {
            CacheConfiguration<String, String> cc = new CacheConfiguration<String, String>(name)
                    .setCacheMode(CacheMode.PARTITIONED)
                    .setBackups(backups)
                    .setAtomicityMode(mode)
                    .setWriteSynchronizationMode(CacheWriteSynchronizationMode.FULL_SYNC)
                    .setAffinity(new RendezvousAffinityFunction(false, partitions));
            if (expiryHours != 0) {
                Duration d = new Duration(TimeUnit.HOURS, Math.abs(expiryHours));
                cc.setExpiryPolicyFactory(expiryHours > 0 ? CreatedExpiryPolicy.factoryOf(d) : ModifiedExpiryPolicy.factoryOf(d));
            }
            return cc;
        }

        private ExpiryPolicy expiry() {
            return expiryHours > 0 ? new CreatedExpiryPolicy(new Duration(TimeUnit.HOURS, expiryHours))
                    : new ModifiedExpiryPolicy(new Duration(TimeUnit.HOURS, -expiryHours));
        }
    }

    /** A store's records: canonical key → record JSON. */
    public static CacheSpec recordsSpec(StoreConfig store) {
        return new CacheSpec(store.cache(), CacheAtomicityMode.TRANSACTIONAL, 0);
    }

    /** Every cache idbsync uses with this config, its stores' included. */
    public static List<CacheSpec> specs(IgniteConfig config, Collection<StoreConfig> stores) {
        List<CacheSpec> specs = new ArrayList<>();
        for (StoreConfig s : stores) {
            specs.add(recordsSpec(s));
        }
        specs.add(new CacheSpec(config.outcomesCache(), CacheAtomicityMode.TRANSACTIONAL, config.outcomeRetentionHours()));
        specs.add(new CacheSpec(REJECTED_CACHE, CacheAtomicityMode.TRANSACTIONAL, config.rejectedRetentionHours()));
        // kept as long as the rejected entries, counted from each client's latest rejection
        specs.add(new CacheSpec(REJECTED_INDEX_CACHE, CacheAtomicityMode.TRANSACTIONAL, -config.rejectedRetentionHours()));
        specs.add(new CacheSpec(FEED_CACHE, CacheAtomicityMode.TRANSACTIONAL, 0));
        specs.add(new CacheSpec(MARKS_CACHE, CacheAtomicityMode.ATOMIC, 0));
        // ATOMIC: one putIfAbsent per binding, atomic across spout tasks and workers
        specs.add(new CacheSpec(OWNERS_CACHE, CacheAtomicityMode.ATOMIC, 0));
        // ATOMIC: one task writes each key; kept an hour from its last heartbeat
        specs.add(new CacheSpec(ENDPOINTS_CACHE, CacheAtomicityMode.ATOMIC, -1));
        specs.add(new CacheSpec(PUSH_RESULTS_CACHE, CacheAtomicityMode.ATOMIC, 1));
        return specs;
    }

    /**
     * The caches this config uses: {@link #specs(IgniteConfig, Collection)} without the owners
     * cache when auth is off (only the spout's auth uses it; it is not created then).
     */
    public static List<CacheSpec> specs(dev.idbsync.config.SyncConfig config) {
        List<CacheSpec> specs = specs(config.ignite(), config.allStores());
        if (!config.auth().enabled()) {
            specs.removeIf(s -> s.name().equals(OWNERS_CACHE));
        }
        return specs;
    }

    /** The cache of a store's records: canonical key → record JSON. */
    public ClientCache<String, String> records(StoreConfig store) {
        return cache(recordsSpec(store));
    }

    /** The cache of change outcomes: {@code db/clientId/seq} → result JSON, kept {@code ignite.outcomeRetentionHours}. */
    public ClientCache<String, String> outcomes() {
        return cache(config.outcomesCache());
    }

    public ClientCache<String, String> rejected() {
        return cache(REJECTED_CACHE);
    }

    public ClientCache<String, String> rejectedIndex() {
        return cache(REJECTED_INDEX_CACHE);
    }

    public ClientCache<String, String> feed() {
        return cache(FEED_CACHE);
    }

    public ClientCache<String, String> marks() {
        return cache(MARKS_CACHE);
    }

    public ClientCache<String, String> owners() {
        return cache(OWNERS_CACHE);
    }

    public ClientCache<String, String> endpoints() {
        return cache(ENDPOINTS_CACHE);
    }

    public ClientCache<String, String> pushResults() {
        return cache(PUSH_RESULTS_CACHE);
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

    /** One of the fixed caches (or the outcomes cache), by name: its spec is in {@link #specs}. */
    private synchronized ClientCache<String, String> cache(String name) {
        ClientCache<String, String> h = handles.get(name);
        if (h != null) {
            return h;
        }
        for (CacheSpec s : specs(config, List.of())) {
            if (s.name().equals(name)) {
                return cache(s);
            }
        }
        throw new IllegalArgumentException("not one of idbsync's caches: " + name);
    }

    private synchronized ClientCache<String, String> cache(CacheSpec spec) {
        ClientCache<String, String> h = handles.get(spec.name());
        if (h == null) {
            h = client.getOrCreateCache(spec.client(config.cacheBackups()));
            handles.put(spec.name(), h);
        }
        return h;
    }

    public IgniteClient client() {
        return client;
    }
}
