package dev.idbsync.ignite;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.resolve.RecordState;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;

/**
 * The records one resolver task decided or read last, as they are in Ignite, so that the next
 * change to one of them is decided without reading it back. Safe because the task owns its
 * records (tuples are grouped by record, and only this task's writer thread and its retention
 * sweep write them), and fenced: every transaction of the task still reads the head of its feed
 * log in each db it decides for, which every transaction that writes a record of that db also
 * writes. So a transaction of an earlier run of this task that commits late (it timed out on the
 * client but not on the server) makes the next commit fail, and the batch is then decided again
 * from Ignite ({@link ResolveWriter}).
 *
 * <p>Entries go in only after a commit, and the keys of a batch whose commit failed or whose
 * outcome is unknown are dropped. Bounded by the length of the records' JSON (Caffeine's
 * weigher; Caffeine chooses what goes by how often and how lately each was used); dropped with the task. Touched by the writer thread
 * only. Not thread-safe beyond what Caffeine gives.
 */
public final class RecordCache {
    private record Key(String cache, String key) {
    }

    private record Entry(RecordState state, int weight) {
    }

    private final Cache<Key, Entry> cache;

    /** @param maxBytes the records' JSON kept at most, in bytes; 0 keeps none */
    public RecordCache(long maxBytes) {
        cache = maxBytes <= 0 ? null : Caffeine.newBuilder()
                .maximumWeight(maxBytes)
                .<Key, Entry>weigher((k, e) -> e.weight())
                .build();
    }

    /** The cached states of these keys of the store; missing keys are not cached. */
    public Map<String, RecordState> get(StoreConfig store, Collection<String> keys) {
        Map<String, RecordState> out = new HashMap<>();
        if (cache == null) {
            return out;
        }
        for (String k : keys) {
            Entry e = cache.getIfPresent(new Key(store.cache(), k));
            if (e != null) {
                out.put(k, e.state());
            }
        }
        return out;
    }

    /** Remembers a record as committed in Ignite; {@code json} is its stored form (its length is its weight). */
    public void put(StoreConfig store, String key, RecordState state, String json) {
        if (cache != null) {
            cache.put(new Key(store.cache(), key), new Entry(state, key.length() + json.length()));
        }
    }

    /** Forgets records whose state in Ignite is unknown or changed by someone else (a failed commit, the sweep). */
    public void forget(StoreConfig store, Collection<String> keys) {
        if (cache != null) {
            for (String k : keys) {
                cache.invalidate(new Key(store.cache(), k));
            }
        }
    }

    /** Forgets every record (a batch whose outcome is unknown and whose keys are not at hand). */
    public void clear() {
        if (cache != null) {
            cache.invalidateAll();
        }
    }

    /** Records cached now (after pending evictions); for tests and metrics. */
    public long size() {
        if (cache == null) {
            return 0;
        }
        cache.cleanUp();
        return cache.estimatedSize();
    }
}
