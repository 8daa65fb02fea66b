package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.idbsync.config.CacheNames;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Every cache of idbsync's own that SyncCaches opens is one the config refuses for a store. */
class SyncCachesTest {
    @Test
    void theFixedCachesAreTheOnesTheConfigReserves() throws IllegalAccessException {
        Set<Object> opened = new HashSet<>();
        for (Field f : SyncCaches.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getName().endsWith("_CACHE")) {
                opened.add(f.get(null));
            }
        }
        assertEquals(CacheNames.FIXED, opened);
    }
}
