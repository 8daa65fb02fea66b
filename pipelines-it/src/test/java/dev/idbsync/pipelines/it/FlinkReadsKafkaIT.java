package dev.idbsync.pipelines.it;

import static dev.idbsync.pipelines.it.FileSinkHarness.log;
import static dev.idbsync.pipelines.it.FileSinkHarness.secondsSince;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.pipelines.it.FileSinkHarness.Client;
import dev.idbsync.pipelines.it.FileSinkHarness.Expected;
import dev.idbsync.pipelines.it.FileSinkHarness.Pushed;
import dev.idbsync.pipelines.it.FileSinkHarness.Rejected;
import dev.idbsync.pipelines.it.FileSinkHarness.Run;
import dev.idbsync.testkit.Ports;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.kafka.source.KafkaSource;
import org.apache.flink.connector.kafka.source.enumerator.initializer.OffsetsInitializer;
import org.apache.flink.connector.kafka.source.reader.deserializer.KafkaRecordDeserializationSchema;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka sink as a Flink user reads it: {@code ./run-local --kafka} (a real broker in-process),
 * the example data pushed over HTTP, then a Flink job with a bounded {@code KafkaSource} from the
 * earliest to the latest offsets on a local MiniCluster, repeats dropped by eventId: what is left is
 * exactly the changes the server acknowledged, each as its file line, and the rejected change only
 * in the rejected topic.
 */
@Tag("integration")
class FlinkReadsKafkaIT {
    private static final Pattern BOOTSTRAP = Pattern.compile("kafka: in-process broker .*bootstrap servers (\\S+),");

    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path tmp;

    @Test
    void aFlinkKafkaSourceJobSeesExactlyTheAcknowledgedChanges() throws Exception {
        long t0 = System.nanoTime();
        Path data = tmp.resolve("data");
        int kafkaPort = Ports.free();
        try (Run run = Run.start(data, List.of("--kafka", "--kafka-port", Integer.toString(kafkaPort)))) {
            String bootstrap = run.lines().stream().map(BOOTSTRAP::matcher).filter(Matcher::find)
                    .map(m -> m.group(1)).findFirst()
                    .orElseThrow(() -> new AssertionError("run-local printed no bootstrap address: " + run.tail()));
            assertEquals("127.0.0.1:" + kafkaPort, bootstrap);

            Pushed pushed = FileSinkHarness.pushExampleData(new Client(run.baseUrl()));
            assertEquals(1, pushed.rejected().size(), "the untitled note is rejected: " + pushed.rejected());

            long tFlink = System.nanoTime();
            List<String> out = runFlink(bootstrap);
            List<String> changes = out.stream().filter(s -> s.startsWith("change ")).map(s -> s.substring(7)).sorted().toList();
            List<String> rejected = out.stream().filter(s -> s.startsWith("rejected ")).map(s -> s.substring(9)).sorted().toList();
            log("Flink KafkaSource read %d changes and %d rejected after dropping repeats, in %.1f s", changes.size(),
                    rejected.size(), secondsSince(tFlink));

            assertEquals(pushed.acked().size(), changes.size(), "one record per acknowledged change after dropping repeats");
            FileSinkHarness.assertSameLines("the topic holds exactly the acknowledged changes, as pushed and answered",
                    pushed.acked().values().stream().map(Expected::summary).toList(), changes);
            FileSinkHarness.assertSameLines("the rejected change is in the rejected topic, as it was sent, with its error",
                    pushed.rejected().stream().map(Rejected::summary).toList(), rejected);
            int exit = run.stop();
            assertTrue(exit == 0 || exit == 143, "exit code on SIGTERM: " + exit);
        }
        log("FlinkReadsKafkaIT took %.1f s", secondsSince(t0));
    }

    /** The job docs/kafka.md shows: both topics from the start to now, repeats dropped by eventId. */
    private static List<String> runFlink(String bootstrap) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2);
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);

        DataStream<String> changes = env
                .fromSource(topic(bootstrap, "idbsync.notes-app.changes"), WatermarkStrategy.noWatermarks(), "changes of notes-app")
                .keyBy(FileSinkHarness::eventId, Types.STRING)
                .reduce((first, repeat) -> first) // at least once: keep one record per eventId
                .map(line -> "change " + FileSinkHarness.summary(line))
                .returns(Types.STRING);
        DataStream<String> rejected = env
                .fromSource(topic(bootstrap, "idbsync.notes-app.rejected"), WatermarkStrategy.noWatermarks(), "rejected of notes-app")
                .keyBy(FileSinkHarness::eventId, Types.STRING)
                .reduce((first, repeat) -> first)
                .map(line -> "rejected " + FileSinkHarness.rejectedSummary(line))
                .returns(Types.STRING);

        List<String> out = new ArrayList<>();
        try (CloseableIterator<String> it = changes.union(rejected).executeAndCollect("read the idbsync topics")) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    /** The records' values (the file sink's lines), from the earliest offsets to those at the job's start. */
    static KafkaSource<String> topic(String bootstrap, String topic) {
        return KafkaSource.<String>builder()
                .setBootstrapServers(bootstrap)
                .setTopics(topic)
                .setGroupId("pipelines-it")
                .setStartingOffsets(OffsetsInitializer.earliest())
                .setBounded(OffsetsInitializer.latest())
                .setDeserializer(KafkaRecordDeserializationSchema.valueOnly(StringDeserializer.class))
                .build();
    }
}
