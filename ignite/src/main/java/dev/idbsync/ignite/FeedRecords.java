package dev.idbsync.ignite;

import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.resolve.RecordState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The records some feed positions name, as they are now, read with one {@code getAll} per store:
 * what a page delivers, and what compaction compares each entry's version with. A record of a
 * store no longer configured is not read; one not in idbsync's format counts as not there (a
 * reader waits for it, then skips it).
 */
final class FeedRecords {
    private final Map<String, RecordState> current;

    private FeedRecords(Map<String, RecordState> current) {
        this.current = current;
    }

    /** The records named at the positions after {@code read} up to {@code last} in these blocks of one db's log. */
    static FeedRecords read(FeedReader.Source source, SyncConfig config, String db, List<FeedBlock> blocks, long read,
                            long last) {
        Map<StoreConfig, Set<String>> byStore = new HashMap<>();
        for (FeedBlock block : blocks) {
            for (long position = Math.max(read, block.start()) + 1; position <= Math.min(block.end(), last); position++) {
                FeedBlock.Version v = block.at(position);
                StoreConfig sc = config.store(db, v.store());
                if (sc != null) {
                    byStore.computeIfAbsent(sc, s -> new TreeSet<>()).add(v.key());
                }
            }
        }
        Map<String, RecordState> current = new HashMap<>();
        byStore.forEach((sc, keys) -> source.records(sc, keys).forEach((k, stored) -> {
            RecordState r = parse(stored);
            if (r != null) {
                current.put(id(sc.store(), k), r);
            }
        }));
        return new FeedRecords(current);
    }

    /** The record as it is now, or null when it was not read, is not there or is not in idbsync's format. */
    RecordState get(String store, String key) {
        return current.get(id(store, key));
    }

    private static String id(String store, String key) {
        return store + "\u0000" + key;
    }

    private static RecordState parse(String stored) {
        try {
            return RecordState.fromJson(stored);
        } catch (RuntimeException e) {
            return null;
        }
    }
}
