package dev.idbsync.topology;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Kafka cluster in this JVM for the local run ({@code ./run-local --kafka}) and
 * the tests: one KRaft node that is broker and controller at once, from the Kafka Maven artifacts
 * (kafka_2.13), its log under {@code dir} (the local run: {@code DATA/kafka}). The directory is
 * formatted on first start, the way {@code kafka-storage.sh format} does, and kept: a second start
 * on the same directory finds its topics and records again. Listens on 127.0.0.1 only: the client
 * port given, and a controller port of its own.
 *
 * <p>Topics are not created on first use ({@code auto.create.topics.enable=false}): the sink creates
 * its own with the configured partitions, or refuses to start (docs/kafka.md).
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final int controllerPort;
    private KafkaRaftServer server;

    private EmbeddedKafkaBroker(Path dir, int port, int controllerPort) {
        this.dir = dir;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    /** Formats {@code dir} if new, and starts the node; returns once it takes requests. */
    public static EmbeddedKafkaBroker start(Path dir, int port) throws Exception {
        EmbeddedKafkaBroker b = new EmbeddedKafkaBroker(dir.toAbsolutePath(), port, LocalRun.freePort());
        b.start();
        return b;
    }

    /** host:port for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    public Path dir() {
        return dir;
    }

    /** Starts the node again after {@link #stop()}, on the same ports and directory (the fault tests). */
    public synchronized void start() throws Exception {
        if (server != null) {
            return;
        }
        Files.createDirectories(dir);
        kafka.server.KafkaConfig config = new kafka.server.KafkaConfig(properties(), false);
        if (!Files.exists(dir.resolve("meta.properties"))) {
            new Formatter()
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(config.nodeId())
                    .setClusterId(Uuid.randomUuid().toString())
                    .setDirectories(java.util.List.of(dir.toString()))
                    .setMetadataLogDirectory(dir.toString())
                    .setControllerListenerName("CONTROLLER")
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setIgnoreFormatted(true)
                    .run();
        }
        KafkaRaftServer s = new KafkaRaftServer(config, Time.SYSTEM);
        s.startup();
        server = s;
    }

    /** Stops the node (the fault tests stop it mid-stream); {@link #start()} brings it back. */
    public synchronized void stop() {
        if (server != null) {
            server.shutdown();
            server.awaitShutdown();
            server = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    private Map<String, Object> properties() throws IOException {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", dir.toString());
        p.put("metadata.log.dir", dir.toString());
        p.put("auto.create.topics.enable", "false");
        // One node: every internal topic with one replica, consumer groups start at once.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "1");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("default.replication.factor", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        // A local run's broker: small log segments and index files, a week of records.
        p.put("log.segment.bytes", Integer.toString(16 * 1024 * 1024));
        p.put("log.index.size.max.bytes", Integer.toString(1024 * 1024));
        p.put("log.retention.hours", "168");
        return p;
    }
}
