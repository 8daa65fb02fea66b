package dev.idbsync.bolt;

import dev.idbsync.common.ignite.Outcomes;
import dev.idbsync.common.ignite.StoredRecord;
import dev.idbsync.common.ignite.SyncCaches;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Result;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import org.apache.ignite.client.ClientCache;

/**
 * Writes one batch of decided changes to Ignite: the records of each store with one
 * {@code getAll} and one {@code putAll}, then every outcome with one {@code putAll}, records
 * first, so that an outcome is never visible before its record. Pure apart from the caches it
 * is given; the Ignite sink bolt calls it from its writer thread.
 */
final class IgniteRecordWriter {
    /** One change of a batch; {@code rejected} is its result when validation rejected it. */
    record Item(Change change, Result rejected) {
    }

    private final SyncConfig config;
    private final SyncCaches caches;
    private final LongSupplier clock;

    IgniteRecordWriter(SyncConfig config, SyncCaches caches, LongSupplier clock) {
        this.config = config;
        this.caches = caches;
        this.clock = clock;
    }

    /** Throws what Ignite threw; the caller fails the batch's tuples then. */
    void write(List<Item> batch) {
        long now = clock.getAsLong();
        Map<String, String> outcomes = new LinkedHashMap<>();
        Map<StoreConfig, List<Change>> byStore = new LinkedHashMap<>();
        for (Item item : batch) {
            Change c = item.change();
            if (item.rejected() != null) {
                outcomes.put(Outcomes.key(c), Outcomes.toJson(item.rejected()));
            } else {
                byStore.computeIfAbsent(config.store(c.db(), c.store()), s -> new ArrayList<>()).add(c);
            }
        }
        for (Map.Entry<StoreConfig, List<Change>> e : byStore.entrySet()) {
            writeStore(e.getKey(), e.getValue(), now, outcomes);
        }
        if (!outcomes.isEmpty()) {
            caches.outcomes().putAll(outcomes);
        }
    }

    /**
     * Until conflict resolution lands, a put overwrites and each accepted write adds 1 to the
     * record's version. A replay of the change that wrote the record's current version (same
     * clientId and seq) keeps that version instead of making another.
     */
    private void writeStore(StoreConfig store, List<Change> changes, long now, Map<String, String> outcomes) {
        ClientCache<String, String> cache = caches.records(store);
        Set<String> keys = new HashSet<>();
        for (Change c : changes) {
            keys.add(c.keyString());
        }
        Map<String, String> current = new HashMap<>(cache.getAll(keys));
        Map<String, String> updates = new LinkedHashMap<>();
        for (Change c : changes) {
            String json = current.get(c.keyString());
            StoredRecord prev = json == null ? null : StoredRecord.fromJson(json);
            long version;
            if (prev != null && prev.clientId().equals(c.clientId()) && prev.seq() == c.seq()) {
                version = prev.version();
            } else {
                version = (prev == null ? 0 : prev.version()) + 1;
                String next = new StoredRecord(c.db(), c.store(), c.key(), c.op(), c.value(), version,
                        c.clientId(), c.seq(), c.correctedTs(), now).toJson();
                current.put(c.keyString(), next);
                updates.put(c.keyString(), next);
            }
            outcomes.put(Outcomes.key(c), Outcomes.toJson(Result.applied(c.seq(), version)));
        }
        if (!updates.isEmpty()) {
            cache.putAll(updates);
        }
    }
}
