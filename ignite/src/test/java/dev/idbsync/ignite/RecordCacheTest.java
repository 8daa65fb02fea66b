package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.protocol.Op;
import dev.idbsync.resolve.RecordState;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class RecordCacheTest {
    static final StoreConfig NOTES = new StoreConfig("notes-app", "notes", null, null, null, null);
    static final StoreConfig TAGS = new StoreConfig("notes-app", "tags", null, null, null, null);

    static RecordState state(String key, long version) {
        return new RecordState("notes-app", "notes", TextNode.valueOf(key), Op.PUT, null, version, "c", version, 0, 0, List.of());
    }

    @Test
    void keepsWhatWasPutPerStoreAndForgetsOnRequest() {
        RecordCache c = new RecordCache(1 << 20);
        c.put(NOTES, "a", state("a", 3), "x".repeat(100));
        c.put(TAGS, "a", state("a", 7), "x".repeat(100));
        assertEquals(3, c.get(NOTES, Set.of("a", "b")).get("a").version());
        assertEquals(Set.of("a"), c.get(NOTES, Set.of("a", "b")).keySet());
        assertEquals(7, c.get(TAGS, Set.of("a")).get("a").version());
        c.forget(NOTES, List.of("a"));
        assertTrue(c.get(NOTES, Set.of("a")).isEmpty());
        assertEquals(1, c.get(TAGS, Set.of("a")).size());
        c.clear();
        assertEquals(0, c.size());
    }

    @Test
    void holdsAtMostItsBytesOfJson() {
        RecordCache c = new RecordCache(10_000);
        for (int i = 0; i < 1000; i++) {
            c.put(NOTES, "k" + i, state("k" + i, 1), "x".repeat(98)); // 100 bytes with the key's
        }
        long size = c.size();
        assertTrue(size <= 100 && size > 0, "cached: " + size);
    }

    @Test
    void zeroBytesKeepsNothing() {
        RecordCache c = new RecordCache(0);
        c.put(NOTES, "a", state("a", 1), "{}");
        assertTrue(c.get(NOTES, Set.of("a")).isEmpty());
        assertEquals(0, c.size());
    }
}
