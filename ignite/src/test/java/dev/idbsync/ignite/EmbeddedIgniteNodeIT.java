package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.IgniteConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.testkit.Ports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.concurrent.TimeUnit;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.expiry.ExpiryPolicy;
import org.apache.ignite.cache.CacheAtomicityMode;
import org.apache.ignite.cache.CacheWriteSynchronizationMode;
import org.apache.ignite.client.IgniteClient;
import org.apache.ignite.configuration.CacheConfiguration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded node creates idbsync's caches itself, with {@code ignite.embedded.cachePartitions}
 * partitions, and writes a new directory's WAL without an archiver copying it.
 */
@Tag("integration")
class EmbeddedIgniteNodeIT {
    @TempDir
    Path dir;

    SyncConfig config(int partitions) {
        SyncConfig base = ConfigLoader.load(Path.of("..", "conf", "local.yaml").toAbsolutePath().normalize());
        IgniteConfig ic = base.ignite().toBuilder()
                .addresses(List.of("127.0.0.1:" + Ports.free()))
                .discoveryPort(Ports.free())
                .communicationPort(Ports.free())
                .cachePartitions(partitions)
                .build();
        return base.toBuilder().dataDir(dir.toString()).ignite(ic).build();
    }

    @Test
    void theNodeCreatesTheCachesWithTheirSettingsAndAnExistingCacheKeepsItsPartitions() throws Exception {
        SyncConfig first = config(16);
        List<SyncCaches.CacheSpec> specs = SyncCaches.specs(first);
        // auth is off in conf/local.yaml: no owners cache (the spout creates it when auth is on)
        assertEquals(SyncCaches.specs(first.ignite(), first.allStores()).size() - 1, specs.size());
        assertTrue(specs.stream().noneMatch(s -> s.name().equals(SyncCaches.OWNERS_CACHE)));
        try (EmbeddedIgniteNode node = EmbeddedIgniteNode.start(first.ignite(), dir.resolve("ignite"), specs)) {
            for (SyncCaches.CacheSpec spec : specs) {
                assertEquals(16, node.ignite().affinity(spec.name()).partitions(), spec.name());
            }
            assertFalse(node.ignite().cacheNames().contains(SyncCaches.OWNERS_CACHE));
            CacheConfiguration<?, ?> outcomes = node.ignite().cache("idbsync_outcomes").getConfiguration(CacheConfiguration.class);
            assertEquals(CacheAtomicityMode.TRANSACTIONAL, outcomes.getAtomicityMode());
            assertEquals(CacheWriteSynchronizationMode.FULL_SYNC, outcomes.getWriteSynchronizationMode());
            ExpiryPolicy expiry = (ExpiryPolicy) outcomes.getExpiryPolicyFactory().create();
            assertEquals(new CreatedExpiryPolicy(new Duration(TimeUnit.HOURS, 168)).getExpiryForCreation(),
                    expiry.getExpiryForCreation());
            assertEquals(CacheAtomicityMode.ATOMIC,
                    node.ignite().cache("idbsync_marks").getConfiguration(CacheConfiguration.class).getAtomicityMode());
            // the thin client's getOrCreateCache takes the cache the node made
            try (IgniteClient client = new ThinClientFactory(first.ignite()).create()) {
                new SyncCaches(client, first.ignite()).outcomes().put("notes-app/c/1", "{\"seq\":1}");
            }
        }
        // started again with another setting: the caches on disk keep theirs, and their data
        SyncConfig second = config(32);
        List<SyncCaches.CacheSpec> more = new java.util.ArrayList<>(specs);
        more.add(new SyncCaches.CacheSpec("notes-app.extra", CacheAtomicityMode.TRANSACTIONAL, 0));
        try (EmbeddedIgniteNode node = EmbeddedIgniteNode.start(second.ignite(), dir.resolve("ignite"), more)) {
            assertEquals(16, node.ignite().affinity("idbsync_outcomes").partitions());
            assertEquals(32, node.ignite().affinity("notes-app.extra").partitions());
            try (IgniteClient client = new ThinClientFactory(second.ignite()).create()) {
                assertEquals("{\"seq\":1}", new SyncCaches(client, second.ignite()).outcomes().get("notes-app/c/1"));
            }
        }
    }

    @Test
    void aNewDirectoryWritesItsWalOnceAndAnOldOneKeepsItsArchiverLayout() throws Exception {
        SyncConfig c = config(16);
        List<SyncCaches.CacheSpec> specs = SyncCaches.specs(c);
        Path fresh = dir.resolve("fresh");
        try (EmbeddedIgniteNode node = EmbeddedIgniteNode.start(c.ignite(), fresh, specs);
             IgniteClient client = new ThinClientFactory(c.ignite()).create()) {
            new SyncCaches(client, c.ignite()).outcomes().put("notes-app/c/1", "{\"seq\":1}");
        }
        assertTrue(walSegments(fresh.resolve("db/wal-direct")) > 0, "the WAL is in db/wal-direct");
        assertFalse(Files.exists(fresh.resolve("db/wal")), "no ring of segments, no archive");

        // A directory with Ignite's default layout (db/wal, written by an idbsync before this
        // change) keeps it: its WAL is replayed from where it is, and written on there.
        Path old = dir.resolve("old");
        Files.createDirectories(old.resolve("db/wal"));
        try (EmbeddedIgniteNode node = EmbeddedIgniteNode.start(c.ignite(), old, specs);
             IgniteClient client = new ThinClientFactory(c.ignite()).create()) {
            new SyncCaches(client, c.ignite()).outcomes().put("notes-app/c/1", "{\"seq\":1}");
        }
        assertTrue(walSegments(old.resolve("db/wal")) > 0, "the WAL stays in db/wal");
        assertTrue(Files.isDirectory(old.resolve("db/wal/archive")), "with its archive");
        assertFalse(Files.exists(old.resolve("db/wal-direct")));

        for (Path d : List.of(fresh, old)) {
            try (EmbeddedIgniteNode node = EmbeddedIgniteNode.start(c.ignite(), d, specs);
                 IgniteClient client = new ThinClientFactory(c.ignite()).create()) {
                assertEquals("{\"seq\":1}", new SyncCaches(client, c.ignite()).outcomes().get("notes-app/c/1"),
                        "a restart on " + d.getFileName() + " finds what was written");
            }
        }
    }

    /** WAL segment files anywhere under {@code walDir} (Ignite puts them in a folder named after the node). */
    private static long walSegments(Path walDir) throws java.io.IOException {
        if (!Files.isDirectory(walDir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(walDir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".wal")).count();
        }
    }
}
