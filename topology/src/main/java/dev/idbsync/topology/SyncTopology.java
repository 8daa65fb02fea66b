package dev.idbsync.topology;

import static dev.idbsync.common.storm.TupleContract.CHANGES_STREAM;
import static dev.idbsync.common.storm.TupleContract.CLIENT_ID;
import static dev.idbsync.common.storm.TupleContract.DB;
import static dev.idbsync.common.storm.TupleContract.RECORD_GROUPING;
import static dev.idbsync.common.storm.TupleContract.REJECTED_STREAM;
import static dev.idbsync.common.storm.TupleContract.VALID_STREAM;

import dev.idbsync.bolt.ChangeValidator;
import dev.idbsync.bolt.IgniteSinkBolt;
import dev.idbsync.bolt.ValidateBolt;
import dev.idbsync.common.ignite.IgniteClientFactory;
import dev.idbsync.common.ignite.ThinClientFactory;
import dev.idbsync.common.storm.JsonKryoSerializer;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Result;
import dev.idbsync.spout.HttpSyncSpout;
import org.apache.storm.Config;
import org.apache.storm.generated.StormTopology;
import org.apache.storm.topology.TopologyBuilder;
import org.apache.storm.tuple.Fields;

/**
 * Builds the topology from a checked {@link SyncConfig}. Thin on purpose: it wires, it does not
 * run, so that tests can inspect what it builds.
 *
 * <pre>
 * http (HttpSyncSpout) --changes--> validate --valid------> ignite-sink (grouped by db, store, key)
 *                   (grouped by db, clientId, so a client's changes stay in order)
 *                                            --rejected---> ignite-sink (outcome only)
 * </pre>
 */
public final class SyncTopology {
    public static final String SPOUT = "http";
    public static final String VALIDATE = "validate";
    public static final String IGNITE_SINK = "ignite-sink";

    private SyncTopology() {
    }

    public static StormTopology build(SyncConfig config) {
        return build(config, new ThinClientFactory(config.ignite()));
    }

    /** With an Ignite client factory of the caller's: tests use it to inject failures. */
    public static StormTopology build(SyncConfig config, IgniteClientFactory igniteFactory) {
        // Compile every schema now: a bad one stops submission here, not inside a worker.
        new ChangeValidator(config);
        TopologyBuilder b = new TopologyBuilder();
        b.setSpout(SPOUT, new HttpSyncSpout(config.http(), config.ignite(), igniteFactory),
                config.topology().spoutParallelism());
        b.setBolt(VALIDATE, new ValidateBolt(config), config.topology().validateParallelism())
                .fieldsGrouping(SPOUT, CHANGES_STREAM, new Fields(DB, CLIENT_ID));
        b.setBolt(IGNITE_SINK, new IgniteSinkBolt(config, igniteFactory), config.topology().igniteSinkParallelism())
                .fieldsGrouping(VALIDATE, VALID_STREAM, RECORD_GROUPING)
                .fieldsGrouping(VALIDATE, REJECTED_STREAM, RECORD_GROUPING);
        return b.createTopology();
    }

    /** The Storm settings of the topology: the config's own, then the user's topology.storm map. */
    public static Config stormConfig(SyncConfig config) {
        Config conf = new Config();
        conf.setNumWorkers(config.topology().workers());
        conf.setMaxSpoutPending(config.topology().maxSpoutPending());
        conf.setMessageTimeoutSecs(config.topology().messageTimeoutSecs());
        conf.registerSerialization(Change.class, JsonKryoSerializer.class);
        conf.registerSerialization(Result.class, JsonKryoSerializer.class);
        // Every tuple value is registered above; anything else is a bug to surface, not to Java-serialize.
        conf.setFallBackOnJavaSerialization(false);
        conf.putAll(config.topology().stormConfig());
        return conf;
    }
}
