package dev.idbsync.topology;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import org.apache.storm.Config;
import org.apache.storm.LocalCluster;
import org.apache.storm.shade.org.apache.zookeeper.server.NIOServerCnxnFactory;
import org.apache.storm.shade.org.apache.zookeeper.server.ZooKeeperServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Storm {@link LocalCluster} whose ZooKeeper listens on 127.0.0.1 only. {@code new LocalCluster()}
 * starts an in-process ZooKeeper on every interface (port 2000 and up), without auth: anyone who
 * can reach the machine could read and change the cluster's state. Here the ZooKeeper server is
 * started first, bound to the loopback address on a free port, and the cluster is pointed at it.
 */
public final class LoopbackStorm implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LoopbackStorm.class);
    /** ZooKeeper connections from one address; the local cluster's daemons and workers use a handful. */
    private static final int MAX_CLIENT_CONNECTIONS = 60;
    /** ZooKeeper's tick, as Storm's own in-process ZooKeeper uses it. */
    private static final int TICK_MS = 2000;

    private final NIOServerCnxnFactory zookeeper;
    private final Path zkDir;
    private final LocalCluster cluster;

    private LoopbackStorm(NIOServerCnxnFactory zookeeper, Path zkDir, LocalCluster cluster) {
        this.zookeeper = zookeeper;
        this.zkDir = zkDir;
        this.cluster = cluster;
    }

    /** Starts ZooKeeper on 127.0.0.1 and a LocalCluster that uses it, as {@code new LocalCluster()} would otherwise. */
    public static LoopbackStorm start() throws Exception {
        Path dir = Files.createTempDirectory("idbsync-zk");
        NIOServerCnxnFactory factory = new NIOServerCnxnFactory();
        LocalCluster cluster = null;
        try {
            factory.configure(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), MAX_CLIENT_CONNECTIONS);
            File d = dir.toFile();
            factory.startup(new ZooKeeperServer(d, d, TICK_MS));
            int port = factory.getLocalPort();
            LOG.info("in-process ZooKeeper for the local Storm cluster on 127.0.0.1:{} (data in {})", port, dir);
            cluster = new LocalCluster.Builder()
                    // what new LocalCluster() sets
                    .withDaemonConf(Config.TOPOLOGY_ENABLE_MESSAGE_TIMEOUTS, true)
                    .withDaemonConf(Config.STORM_ZOOKEEPER_SERVERS, List.of("127.0.0.1"))
                    .withDaemonConf(Config.STORM_ZOOKEEPER_PORT, port)
                    .build();
            return new LoopbackStorm(factory, dir, cluster);
        } catch (Exception | Error e) {
            factory.shutdown();
            deleteQuietly(dir);
            throw e;
        }
    }

    public LocalCluster cluster() {
        return cluster;
    }

    /** The port ZooKeeper listens on, on 127.0.0.1. */
    public int zookeeperPort() {
        return zookeeper.getLocalPort();
    }

    /** Stops the cluster, then ZooKeeper, and removes ZooKeeper's files. */
    @Override
    public void close() throws Exception {
        try {
            cluster.close();
        } finally {
            zookeeper.shutdown();
            deleteQuietly(zkDir);
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("could not remove {}: {}", dir, e.toString());
        }
    }
}
