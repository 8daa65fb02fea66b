package dev.idbsync.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** idbsync's own cache names are refused for a store, each one, naming the key and the name. */
class CacheNamesTest {
    private static final SyncConfig LOCAL = ConfigLoader.load(Path.of("..", "conf", "local.yaml"));

    @Test
    void aStoreMayNotUseAnyOfIdbsyncsOwnCaches() {
        assertEquals(7, CacheNames.FIXED.size());
        for (String name : CacheNames.FIXED) {
            SyncConfig.Builder b = LOCAL.toBuilder().stores(List.of(new StoreConfig("notes-app", "notes", null, null, "lww",
                    name)));
            IllegalStateException e = assertThrows(IllegalStateException.class, b::build, name);
            assertEquals("dbs.notes-app.stores.notes.cache: \"" + name + "\" is already used by idbsync itself;"
                    + " every store needs a cache of its own", e.getMessage());
        }
    }
}
