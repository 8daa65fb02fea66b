package dev.idbsync.topology;

import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.SyncConfig;
import java.nio.file.Path;
import org.apache.storm.StormSubmitter;
import org.apache.storm.generated.StormTopology;

/**
 * Submits the topology to a Storm cluster:
 * {@code storm jar idbsync-topology-<version>-cluster.jar dev.idbsync.topology.ClusterMain --config conf/cluster.yaml}.
 * Storm's launcher takes {@code --config} itself and hands the file to this JVM as the system
 * property {@code storm.conf.file}, which is also where Storm's client reads its own settings
 * from (so cluster.yaml may hold top-level Storm keys such as {@code nimbus.seeds}; the idbsync
 * loader ignores keys with a dot). Started by hand, {@code --config FILE} works too.
 */
public final class ClusterMain {
    private ClusterMain() {
    }

    public static void main(String[] args) throws Exception {
        String file = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                file = args[++i];
            } else {
                System.err.println("unknown argument: " + args[i] + "\nusage: ClusterMain --config conf/cluster.yaml");
                System.exit(2);
            }
        }
        if (file == null) {
            String fromStorm = System.getProperty("storm.conf.file", "");
            file = fromStorm.isBlank() ? "conf/cluster.yaml" : fromStorm;
        }
        SyncConfig config;
        StormTopology topology;
        try {
            config = ConfigLoader.load(Path.of(file));
            requireAuthChoice(config);
            topology = SyncTopology.build(config);
            SyncTopology.ensureKafkaTopics(config, System.out);
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("config " + file + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        StormSubmitter.submitTopology(config.topology().name(), SyncTopology.stormConfig(config), topology);
    }

    /**
     * A cluster faces browsers: it never runs open by default. A file without an {@code auth}
     * section is refused, with the two ways on (the local run, which stays on loopback, does not ask).
     */
    static void requireAuthChoice(SyncConfig config) {
        if (!config.auth().configured()) {
            throw new IllegalStateException("auth: missing; a cluster does not start without a choice, since without"
                    + " auth anyone who reaches the spout may push to any db, read any feed and write under any"
                    + " clientId. Turn auth on with auth: {mode: jwt, jwksUrl: https://<your issuer>/.well-known/jwks.json,"
                    + " issuer: <iss>, audience: <aud>} (or jwksFile, or hs256SecretEnv for an HS256 secret; see"
                    + " docs/auth.md), or leave the API open on purpose with auth: {mode: none}");
        }
    }
}
