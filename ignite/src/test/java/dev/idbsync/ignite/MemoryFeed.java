package dev.idbsync.ignite;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Keys;
import dev.idbsync.protocol.Op;
import dev.idbsync.resolve.RecordState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** An in-memory stand-in for the feed cache and one store's record cache, for the reader's pieces. */
final class MemoryFeed implements FeedReader.Source {
    static final String DB = "notes-app";

    final Map<String, String> feed = new HashMap<>();
    final Map<String, String> records = new HashMap<>();
    /** Keys of the records cache read, over all calls. */
    final List<String> recordReads = new ArrayList<>();

    static RecordState version(String key, long v) {
        return new RecordState(DB, "notes", TextNode.valueOf(key), Op.PUT,
                Json.MAPPER.createObjectNode().put("title", key + " v" + v), v, "c1", v, 1L, 2L, List.of());
    }

    /** Appends a block to partition {@code p}, as its resolver task does, and stores its records; returns the new head. */
    long commit(int p, RecordState... versions) {
        String headKey = Feed.headKey(DB, p);
        long head = feed.containsKey(headKey) ? Long.parseLong(feed.get(headKey)) : 0;
        feed.put(Feed.entryKey(DB, p, head + 1), Feed.block(List.of(versions)));
        feed.put(headKey, Long.toString(head + versions.length));
        for (RecordState r : versions) {
            records.put(Keys.canonical(r.key()), r.toJson());
        }
        return head + versions.length;
    }

    @Override
    public Map<String, String> feed(Set<String> keys) {
        return read(feed, keys);
    }

    @Override
    public Map<String, String> records(StoreConfig store, Set<String> keys) {
        recordReads.addAll(keys);
        return read(records, keys);
    }

    private static Map<String, String> read(Map<String, String> cache, Set<String> keys) {
        Map<String, String> out = new HashMap<>();
        keys.forEach(k -> {
            if (cache.containsKey(k)) {
                out.put(k, cache.get(k));
            }
        });
        return out;
    }
}
