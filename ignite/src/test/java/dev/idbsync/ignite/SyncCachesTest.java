package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /** The thin client and the embedded node create each cache with the same settings; the node also sets partitions. */
    @Test
    void everyCacheHasOneSpecAndTheClientAndTheNodeCreateItAlike() {
        dev.idbsync.config.SyncConfig config = dev.idbsync.config.ConfigLoader.load(
                java.nio.file.Path.of("..", "conf", "local.yaml").toAbsolutePath().normalize());
        java.util.List<SyncCaches.CacheSpec> specs = SyncCaches.specs(config.ignite(), config.allStores());
        Set<String> names = new HashSet<>(CacheNames.FIXED);
        names.add(config.ignite().outcomesCache());
        config.allStores().forEach(st -> names.add(st.cache()));
        assertEquals(names, new HashSet<>(specs.stream().map(SyncCaches.CacheSpec::name).toList()));
        assertEquals(names.size(), specs.size());
        for (SyncCaches.CacheSpec spec : specs) {
            org.apache.ignite.client.ClientCacheConfiguration c = spec.client(2);
            org.apache.ignite.configuration.CacheConfiguration<String, String> n = spec.server(2, 64);
            assertEquals(c.getName(), n.getName());
            assertEquals(c.getAtomicityMode(), n.getAtomicityMode(), spec.name());
            assertEquals(c.getCacheMode(), n.getCacheMode());
            assertEquals(2, n.getBackups());
            assertEquals(c.getWriteSynchronizationMode(), n.getWriteSynchronizationMode());
            assertEquals(64, n.getAffinity().partitions());
            if (c.getExpiryPolicy() == null) { // Ignite's default: entries never expire
                Object none = n.getExpiryPolicyFactory() == null ? null : n.getExpiryPolicyFactory().create();
                assertTrue(none == null || ((javax.cache.expiry.ExpiryPolicy) none).getExpiryForCreation().isEternal(), spec.name());
            } else {
                javax.cache.expiry.ExpiryPolicy e = (javax.cache.expiry.ExpiryPolicy) n.getExpiryPolicyFactory().create();
                assertEquals(c.getExpiryPolicy().getExpiryForCreation(), e.getExpiryForCreation(), spec.name());
                assertEquals(c.getExpiryPolicy().getExpiryForUpdate(), e.getExpiryForUpdate(), spec.name());
            }
        }
        SyncCaches.CacheSpec outcomes = specs.stream().filter(sp -> sp.name().equals("idbsync_outcomes")).findFirst().orElseThrow();
        assertEquals(new SyncCaches.CacheSpec("idbsync_outcomes", org.apache.ignite.cache.CacheAtomicityMode.TRANSACTIONAL, 168),
                outcomes);
    }
}
