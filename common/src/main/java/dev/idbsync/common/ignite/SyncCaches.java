package dev.idbsync.common.ignite;

import dev.idbsync.config.IgniteConfig;
import dev.idbsync.config.StoreConfig;
import java.util.HashMap;
import java.util.Map;
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
 * One instance per component instance; it holds no state beyond the handles.
 */
public final class SyncCaches {
    private final IgniteClient client;
    private final IgniteConfig config;
    private final Map<String, ClientCache<String, String>> handles = new HashMap<>();

    public SyncCaches(IgniteClient client, IgniteConfig config) {
        this.client = client;
        this.config = config;
    }

    /** The cache of a store's records: canonical key → {@link StoredRecord} JSON. */
    public ClientCache<String, String> records(StoreConfig store) {
        return cache(store.cache());
    }

    /** The cache of change outcomes: {@code db/clientId/seq} → result JSON. */
    public ClientCache<String, String> outcomes() {
        return cache(config.outcomesCache());
    }

    public synchronized ClientCache<String, String> cache(String name) {
        return handles.computeIfAbsent(name, n -> client.getOrCreateCache(new ClientCacheConfiguration()
                .setName(n)
                .setCacheMode(CacheMode.PARTITIONED)
                .setBackups(config.cacheBackups())
                .setAtomicityMode(CacheAtomicityMode.ATOMIC)
                .setWriteSynchronizationMode(CacheWriteSynchronizationMode.FULL_SYNC)));
    }

    public IgniteClient client() {
        return client;
    }
}
