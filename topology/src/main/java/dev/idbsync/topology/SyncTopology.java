package dev.idbsync.topology;

import static dev.idbsync.storm.TupleContract.ADMITTED_STREAM;
import static dev.idbsync.storm.TupleContract.CHANGES_STREAM;
import static dev.idbsync.storm.TupleContract.CHECKED_STREAM;
import static dev.idbsync.storm.TupleContract.CLIENT_GROUPING;
import static dev.idbsync.storm.TupleContract.DECIDED_STREAM;
import static dev.idbsync.storm.TupleContract.PROBE_STREAM;
import static dev.idbsync.storm.TupleContract.RECORD_GROUPING;
import static dev.idbsync.storm.TupleContract.REJECTED_LOG_STREAM;
import static dev.idbsync.storm.TupleContract.RESOLVED_STREAM;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.validate.ChangeValidator;
import dev.idbsync.bolt.ResolveBolt;
import dev.idbsync.bolt.SequencerBolt;
import dev.idbsync.bolt.ValidateBolt;
import dev.idbsync.ignite.IgniteClientFactory;
import dev.idbsync.ignite.ThinClientFactory;
import dev.idbsync.storm.JsonKryoSerializer;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.files.FileSinkBolt;
import dev.idbsync.flume.FlumeClientFactory;
import dev.idbsync.flume.FlumeSinkBolt;
import dev.idbsync.kafka.KafkaClientFactory;
import dev.idbsync.kafka.KafkaProbe;
import dev.idbsync.kafka.KafkaSinkBolt;
import dev.idbsync.kafka.KafkaTopics;
import java.io.PrintStream;
import java.util.Set;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.SinkEvent;
import dev.idbsync.resolve.ConflictPolicies;
import dev.idbsync.spout.HttpSyncSpout;
import dev.idbsync.spout.PeerWorkersHook;
import org.apache.storm.Config;
import org.apache.storm.generated.StormTopology;
import dev.idbsync.ignite.IgniteProbe;
import dev.idbsync.health.SinkProbe;
import dev.idbsync.files.FilesProbe;
import dev.idbsync.flume.FlumeProbe;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.storm.topology.TopologyBuilder;

/**
 * Builds the topology from a checked {@link SyncConfig}. Thin on purpose: it wires, it does not
 * run, so that tests can inspect what it builds.
 *
 * <pre>
 * http (HttpSyncSpout) --changes--> validate --checked--> sequence --admitted--> resolve --> Ignite
 *   grouped by:          (db, clientId)        (db, clientId)        (db, store, key)
 *                                                                               |--resolved--> flume (local or shuffle)
 *                                                                               |--resolved, rejectedLog--> files
 *                                                                               |--resolved (db, store, key), rejectedLog (db, clientId)--> kafka
 *                                                  ^                      |
 *                                                  +------decided---------+  (db, clientId)
 * http --probe (direct)--> every bolt: acked, nothing else (on a cluster, after a worker was lost)
 * </pre>
 *
 * A client's changes stay in order up to the sequencer, which admits them in seq order; each
 * record's changes meet in one resolver task, which decides them in arrival order.
 */
public final class SyncTopology {
    public static final String SPOUT = "http";
    public static final String VALIDATE = "validate";
    public static final String SEQUENCE = "sequence";
    public static final String RESOLVE = "resolve";
    public static final String FLUME = "flume";
    public static final String FILES = "files";
    public static final String KAFKA = "kafka";

    private SyncTopology() {
    }

    public static StormTopology build(SyncConfig config) {
        return build(config, new ThinClientFactory(config.ignite()));
    }

    /** With an Ignite client factory of the caller's: tests use it to inject failures. */
    public static StormTopology build(SyncConfig config, IgniteClientFactory igniteFactory) {
        return build(config, igniteFactory, new FlumeClientFactory(config.flume()));
    }

    /** With client factories of the caller's. */
    public static StormTopology build(SyncConfig config, IgniteClientFactory igniteFactory,
                                      FlumeClientFactory flumeFactory) {
        return build(config, igniteFactory, flumeFactory, new KafkaClientFactory(config.kafka()));
    }

    /** With client factories of the caller's, the Kafka sink's included. */
    public static StormTopology build(SyncConfig config, IgniteClientFactory igniteFactory,
                                      FlumeClientFactory flumeFactory, KafkaClientFactory kafkaFactory) {
        // Compile every schema and load every policy now: a bad one stops submission here, not in a worker.
        new ChangeValidator(config);
        for (StoreConfig s : config.allStores()) {
            ConflictPolicies.forName(s.policy(), SyncTopology.class.getClassLoader());
        }
        TopologyBuilder b = new TopologyBuilder();
        // What GET /health checks: every sink a push must reach (docs/architecture.md, Health).
        List<SinkProbe> probes = new ArrayList<>();
        probes.add(new IgniteProbe(igniteFactory));
        if (config.flume().enabled()) {
            probes.add(new FlumeProbe(config.flume()));
        }
        if (config.files().enabled()) {
            probes.add(new FilesProbe(config.filesRoot()));
        }
        if (config.kafka().enabled()) {
            probes.add(new KafkaProbe(config.kafka()));
        }
        b.setSpout(SPOUT, new HttpSyncSpout(config, igniteFactory, probes),
                config.topology().spoutParallelism());
        // On a cluster the spout checks that the other workers are up (PeerWorkers); the worker's
        // assignment reaches it through this hook.
        b.addWorkerHook(new PeerWorkersHook());
        b.setBolt(VALIDATE, new ValidateBolt(config), config.topology().validateParallelism())
                .fieldsGrouping(SPOUT, CHANGES_STREAM, CLIENT_GROUPING)
                .directGrouping(SPOUT, PROBE_STREAM);
        b.setBolt(SEQUENCE, new SequencerBolt(config, igniteFactory), config.topology().sequenceParallelism())
                .fieldsGrouping(VALIDATE, CHECKED_STREAM, CLIENT_GROUPING)
                .fieldsGrouping(RESOLVE, DECIDED_STREAM, CLIENT_GROUPING)
                .directGrouping(SPOUT, PROBE_STREAM);
        b.setBolt(RESOLVE, new ResolveBolt(config, igniteFactory), config.topology().resolveParallelism())
                .fieldsGrouping(SEQUENCE, ADMITTED_STREAM, RECORD_GROUPING)
                .directGrouping(SPOUT, PROBE_STREAM);
        if (config.files().enabled()) {
            b.setBolt(FILES, new FileSinkBolt(config.files(), config.filesRoot(), config.topology().name()),
                            config.topology().filesParallelism())
                    .localOrShuffleGrouping(RESOLVE, RESOLVED_STREAM)
                    .localOrShuffleGrouping(RESOLVE, REJECTED_LOG_STREAM)
                    .directGrouping(SPOUT, PROBE_STREAM);
        }
        if (config.flume().enabled()) {
            b.setBolt(FLUME, new FlumeSinkBolt(config.flume(), flumeFactory), config.topology().flumeParallelism())
                    .localOrShuffleGrouping(RESOLVE, RESOLVED_STREAM)
                    .directGrouping(SPOUT, PROBE_STREAM);
        }
        if (config.kafka().enabled()) {
            // By record, not local-or-shuffle: the versions of one record reach one task in order
            // and so one partition in order (docs/kafka.md).
            var kafka = b.setBolt(KAFKA, new KafkaSinkBolt(config.kafka(), kafkaFactory),
                            config.topology().kafkaParallelism())
                    .fieldsGrouping(RESOLVE, RESOLVED_STREAM, RECORD_GROUPING)
                    .directGrouping(SPOUT, PROBE_STREAM);
            if (config.kafka().rejectedTopic() != null) {
                kafka.fieldsGrouping(RESOLVE, REJECTED_LOG_STREAM, CLIENT_GROUPING);
            }
        }
        return b.createTopology();
    }

    /**
     * With the Kafka sink on: every topic it writes to exists, or is created now (kafka.createTopics),
     * before the topology is submitted; a missing topic that may not be created, or brokers that do
     * not answer, stop the start here with an IllegalStateException that says which.
     */
    public static void ensureKafkaTopics(SyncConfig config, PrintStream out) {
        if (!config.kafka().enabled()) {
            return;
        }
        Set<String> topics = KafkaTopics.of(config.kafka(), config.stores().keySet());
        List<String> created = KafkaTopics.ensure(config.kafka(), topics, new KafkaClientFactory(config.kafka()));
        out.println("kafka: topics " + topics + " on " + String.join(",", config.kafka().bootstrapServers())
                + (created.isEmpty() ? "" : "; created " + created + " with " + config.kafka().partitions() + " partitions"));
    }

    /**
     * How an idle bolt executor, and a producer held by backpressure, waits: it sleeps 1 ms at
     * once instead of first calling {@code LockSupport.parkNanos(1)} 1,000 times, Storm's default
     * ({@code WaitStrategyProgressive}, level 2). Each of those calls is a futex syscall and a
     * timer of tens of microseconds, so every bolt between two tuples spun for tens of
     * milliseconds: on 2 cores the executors of a mostly idle topology used about half a core,
     * and the local run acknowledged half as many changes (docs/performance.md, "What each change
     * bought"). The 1 ms sleep adds at most 1 ms per hop to a change that reaches an idle bolt.
     * The spout's own wait is already a 1 ms sleep by default. A {@code topology.storm} map sets
     * them back.
     */
    static final Map<String, Object> IDLE_WAIT = Map.of(
            Config.TOPOLOGY_BOLT_WAIT_PROGRESSIVE_LEVEL2_COUNT, 0,
            Config.TOPOLOGY_BACKPRESSURE_WAIT_PROGRESSIVE_LEVEL2_COUNT, 0);

    /** The Storm settings of the topology: the config's own, then the user's topology.storm map. */
    public static Config stormConfig(SyncConfig config) {
        Config conf = new Config();
        conf.setNumWorkers(config.topology().workers());
        conf.setMaxSpoutPending(config.topology().maxSpoutPending());
        conf.setMessageTimeoutSecs(config.topology().messageTimeoutSecs());
        conf.registerSerialization(Change.class, JsonKryoSerializer.class);
        conf.registerSerialization(Result.class, JsonKryoSerializer.class);
        conf.registerSerialization(SinkEvent.class, JsonKryoSerializer.class);
        // the rejected-changes log entry on rejectedLog (TupleContract.RejectedEntry)
        conf.registerSerialization(ObjectNode.class, JsonKryoSerializer.class);
        // Every tuple value is registered above; anything else is a bug to surface, not to Java-serialize.
        conf.setFallBackOnJavaSerialization(false);
        conf.putAll(IDLE_WAIT);
        conf.putAll(config.topology().stormConfig());
        return conf;
    }
}
