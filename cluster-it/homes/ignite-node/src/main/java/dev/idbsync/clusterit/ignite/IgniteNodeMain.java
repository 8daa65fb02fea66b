package dev.idbsync.clusterit.ignite;

import java.util.List;
import org.apache.ignite.Ignite;
import org.apache.ignite.Ignition;
import org.apache.ignite.cluster.ClusterState;
import org.apache.ignite.configuration.ClientConnectorConfiguration;
import org.apache.ignite.configuration.DataRegionConfiguration;
import org.apache.ignite.configuration.DataStorageConfiguration;
import org.apache.ignite.configuration.IgniteConfiguration;
import org.apache.ignite.spi.communication.tcp.TcpCommunicationSpi;
import org.apache.ignite.spi.discovery.tcp.TcpDiscoverySpi;
import org.apache.ignite.spi.discovery.tcp.ipfinder.vm.TcpDiscoveryVmIpFinder;

/**
 * A standalone Ignite server node for the cluster test, in a process of its own, as an operator
 * runs one: only {@code ignite-core} on the classpath (no idbsync class: the topology reaches it
 * through thin clients and stores Strings), native persistence in its default data region (what
 * docs/architecture.md asks of a remote cluster), loopback only, static discovery (never
 * multicast, so it cannot join another node on the machine). Ignite's binary release starts
 * the same from a Spring XML file with {@code ignite.sh}; Spring is not on this build, so the
 * configuration is made here with Ignite's Java API.
 *
 * <p>Arguments: {@code <thinClientPort> <discoveryPort> <communicationPort> <workDir>}. Prints
 * {@code ignite node ready} once the cluster is active.
 */
public final class IgniteNodeMain {
    private IgniteNodeMain() {
    }

    public static void main(String[] args) {
        if (args.length != 4) {
            System.err.println("usage: IgniteNodeMain <thinClientPort> <discoveryPort> <communicationPort> <workDir>");
            System.exit(2);
        }
        int thin = Integer.parseInt(args[0]);
        int discoveryPort = Integer.parseInt(args[1]);
        int communicationPort = Integer.parseInt(args[2]);
        TcpDiscoverySpi discovery = new TcpDiscoverySpi()
                .setLocalAddress("127.0.0.1")
                .setLocalPort(discoveryPort)
                .setLocalPortRange(0)
                .setIpFinder(new TcpDiscoveryVmIpFinder().setAddresses(List.of("127.0.0.1:" + discoveryPort)));
        TcpCommunicationSpi communication = new TcpCommunicationSpi();
        communication.setLocalAddress("127.0.0.1");
        communication.setLocalPort(communicationPort);
        communication.setLocalPortRange(0);
        IgniteConfiguration cfg = new IgniteConfiguration()
                .setIgniteInstanceName("cluster-it")
                .setConsistentId("cluster-it")
                .setWorkDirectory(args[3])
                .setLocalHost("127.0.0.1")
                .setDiscoverySpi(discovery)
                .setCommunicationSpi(communication)
                .setClientConnectorConfiguration(new ClientConnectorConfiguration()
                        .setHost("127.0.0.1").setPort(thin).setPortRange(0))
                .setDataStorageConfiguration(new DataStorageConfiguration()
                        // Ignite preallocates 10 WAL segments of 64 MB; a test run writes a few MB.
                        .setWalSegmentSize(8 * 1024 * 1024)
                        .setDefaultDataRegionConfiguration(new DataRegionConfiguration()
                                .setName("default")
                                .setPersistenceEnabled(true)
                                .setInitialSize(64L * 1024 * 1024)
                                .setMaxSize(256L * 1024 * 1024)))
                .setMetricsLogFrequency(0)
                .setConnectorConfiguration(null)
                .setPeerClassLoadingEnabled(false);
        Ignite ignite = Ignition.start(cfg);
        ignite.cluster().state(ClusterState.ACTIVE);
        System.out.println("ignite node ready: thin clients on 127.0.0.1:" + thin);
        System.out.flush();
    }
}
