package dev.idbsync.ignite;

import dev.idbsync.config.IgniteConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.ignite.Ignite;
import org.apache.ignite.Ignition;
import org.apache.ignite.cluster.ClusterState;
import org.apache.ignite.configuration.CacheConfiguration;
import org.apache.ignite.configuration.ClientConnectorConfiguration;
import org.apache.ignite.configuration.DataRegionConfiguration;
import org.apache.ignite.configuration.DataStorageConfiguration;
import org.apache.ignite.configuration.IgniteConfiguration;
import org.apache.ignite.configuration.WALMode;
import org.apache.ignite.failure.StopNodeFailureHandler;
import org.apache.ignite.spi.communication.tcp.TcpCommunicationSpi;
import org.apache.ignite.spi.discovery.tcp.TcpDiscoverySpi;
import org.apache.ignite.spi.discovery.tcp.ipfinder.vm.TcpDiscoveryVmIpFinder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ignite server node of the local run (and of the integration tests): one node on
 * 127.0.0.1 only, native persistence under the given directory, a small data region, and the
 * thin-client connector the topology talks to. Discovery uses a static list holding only this
 * node's own loopback port, never multicast, so it cannot join another Ignite node that happens
 * to run on the same machine (a second test run, a developer's local run).
 */
public final class EmbeddedIgniteNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedIgniteNode.class);

    /**
     * Where the WAL of a new data directory goes, relative to the work directory: Ignite's "no
     * archiver" layout, the WAL path and the archive path one directory (IGNITE-7017). Each
     * segment is written there once, under its absolute index, and deleted there once checkpoints
     * cover it and the WAL is over a half of {@code maxWalArchiveSize}. Ignite's default layout
     * writes a ring of ten segments in {@value #ARCHIVER_WAL} and copies each full one into
     * {@code db/wal/archive}: every byte of WAL written twice. Without the copy the local run wrote
     * a fifth less to disk per change and used about a tenth less CPU per change
     * (docs/performance.md, "What each change bought").
     */
    static final String DIRECT_WAL = "db/wal-direct";
    /** Ignite's default WAL directory: a data directory that has it keeps that layout. */
    static final String ARCHIVER_WAL = "db/wal";

    private final Ignite ignite;
    private final String name;

    private EmbeddedIgniteNode(Ignite ignite, String name) {
        this.ignite = ignite;
        this.name = name;
    }

    /**
     * Starts the node and activates it (a persistent cluster starts inactive). On a directory
     * that already holds data the node finds its records again. Creates no cache.
     */
    public static EmbeddedIgniteNode start(IgniteConfig config, Path workDir) {
        return start(config, workDir, List.of());
    }

    /**
     * Starts the node, activates it, and creates each of {@code caches} that its directory does not
     * hold yet, with {@code ignite.embedded.cachePartitions} partitions: a thin client cannot choose
     * them, and Ignite's default of 1024 per cache costs a single node heap (each partition's free
     * lists), checkpoint work and throughput (docs/performance.md). A cache already there keeps
     * the partitions it was created with.
     */
    public static EmbeddedIgniteNode start(IgniteConfig config, Path workDir, List<SyncCaches.CacheSpec> caches) {
        String name = "idbsync-embedded-" + config.thinClientPort();
        TcpDiscoveryVmIpFinder ipFinder = new TcpDiscoveryVmIpFinder()
                .setAddresses(List.of("127.0.0.1:" + config.discoveryPort()));
        TcpDiscoverySpi discovery = new TcpDiscoverySpi()
                .setLocalAddress("127.0.0.1")
                .setLocalPort(config.discoveryPort())
                .setLocalPortRange(0)
                .setIpFinder(ipFinder);
        TcpCommunicationSpi communication = new TcpCommunicationSpi();
        communication.setLocalAddress("127.0.0.1");
        communication.setLocalPort(config.communicationPort());
        communication.setLocalPortRange(0);

        DataStorageConfiguration storage = new DataStorageConfiguration()
                .setWalMode(WALMode.valueOf(config.walMode()))
                // Ignite checkpoints whenever a quarter of the archive was written since the last
                // one; at its 1 GB default, every 256 MB of WAL (every 15 to 30 s under load), and
                // each checkpoint writes every page dirtied since (docs/performance.md).
                .setMaxWalArchiveSize((long) config.walArchiveMb() * 1024 * 1024)
                .setDefaultDataRegionConfiguration(new DataRegionConfiguration()
                        .setName("idbsync")
                        .setPersistenceEnabled(true)
                        .setInitialSize(Math.min(64L, config.dataRegionMb()) * 1024 * 1024)
                        .setMaxSize((long) config.dataRegionMb() * 1024 * 1024));
        // A data directory written before with Ignite's default layout keeps it, so that the WAL
        // it holds (what the last checkpoint did not cover, after a crash) is still replayed.
        boolean archiver = Files.isDirectory(workDir.resolve(ARCHIVER_WAL));
        if (!archiver) {
            storage.setWalPath(DIRECT_WAL).setWalArchivePath(DIRECT_WAL);
        }

        IgniteConfiguration cfg = new IgniteConfiguration()
                .setIgniteInstanceName(name)
                // A fixed consistent id keeps the persistence folder's name stable across restarts.
                .setConsistentId("idbsync-local")
                .setWorkDirectory(workDir.toAbsolutePath().toString())
                .setLocalHost("127.0.0.1")
                .setDiscoverySpi(discovery)
                .setCommunicationSpi(communication)
                .setClientConnectorConfiguration(new ClientConnectorConfiguration()
                        .setHost("127.0.0.1")
                        .setPort(config.thinClientPort())
                        .setPortRange(0))
                .setDataStorageConfiguration(storage)
                .setGridLogger(new Slf4jIgniteLogger(EmbeddedIgniteNode.class))
                .setMetricsLogFrequency(0)
                // no REST/binary connector (port 11211+): nothing uses it, and it is one port less to clash
                .setConnectorConfiguration(null)
                .setPeerClassLoadingEnabled(false)
                // Ignite's default failure handler halts the JVM; this node shares its JVM with
                // Storm (and, in tests, with the test runner), so it only stops itself.
                .setFailureHandler(new StopNodeFailureHandler());
        LOG.info("starting embedded Ignite node: thin clients on 127.0.0.1:{}, discovery {}, communication {},"
                        + " persistence in {} (WAL {} in {}, at most about {} MB kept), data region {} MB", config.thinClientPort(),
                config.discoveryPort(), config.communicationPort(), workDir, config.walMode(),
                archiver ? ARCHIVER_WAL + " with its archive (the layout this directory was created with)" : DIRECT_WAL,
                config.walArchiveMb(), config.dataRegionMb());
        Ignite ignite = Ignition.start(cfg);
        ignite.cluster().state(ClusterState.ACTIVE);
        createCaches(ignite, config, caches);
        return new EmbeddedIgniteNode(ignite, name);
    }

    private static void createCaches(Ignite ignite, IgniteConfig config, List<SyncCaches.CacheSpec> caches) {
        Collection<String> existing = ignite.cacheNames();
        // raw: Ignite's getOrCreateCaches takes a Collection<CacheConfiguration>
        @SuppressWarnings("rawtypes")
        List<CacheConfiguration> create = new ArrayList<>();
        for (SyncCaches.CacheSpec spec : caches) {
            if (!existing.contains(spec.name())) {
                create.add(spec.server(config.cacheBackups(), config.cachePartitions()));
            } else if (ignite.affinity(spec.name()).partitions() != config.cachePartitions()) {
                LOG.info("cache {} keeps the {} partitions it was created with (ignite.embedded.cachePartitions: {}"
                        + " applies to caches this node creates)", spec.name(), ignite.affinity(spec.name()).partitions(),
                        config.cachePartitions());
            }
        }
        if (!create.isEmpty()) {
            ignite.getOrCreateCaches(create);
            LOG.info("created {} caches with {} partitions each", create.size(), config.cachePartitions());
        }
    }

    public Ignite ignite() {
        return ignite;
    }

    /** Stops the node, letting running operations finish and writing a checkpoint. */
    @Override
    public void close() {
        Ignition.stop(name, false);
    }
}
