package dev.idbsync.pipelines.it;

import static dev.idbsync.pipelines.it.FileSinkHarness.log;
import static dev.idbsync.pipelines.it.FileSinkHarness.secondsSince;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.pipelines.it.FileSinkHarness.Expected;
import dev.idbsync.pipelines.it.FileSinkHarness.Landed;
import dev.idbsync.pipelines.it.FileSinkHarness.Line;
import dev.idbsync.pipelines.it.FileSinkHarness.Pushed;
import dev.idbsync.pipelines.it.FileSinkHarness.Rejected;
import dev.idbsync.pipelines.it.FileSinkHarness.Run;
import dev.idbsync.pipelines.it.FileSinkHarness.SinkFiles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.connector.file.src.enumerate.FileEnumerator;
import org.apache.flink.connector.file.src.enumerate.NonSplittingRecursiveEnumerator;
import org.apache.flink.connector.file.src.reader.TextLineInputFormat;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file sink as a Flink user reads it: a bounded FileSource (TextLineInputFormat) over the
 * partition tree of a local run, on a local MiniCluster in batch mode, repeats dropped by eventId
 * with a keyed reduce; what is left is exactly the changes the server acknowledged.
 */
@Tag("integration")
class FlinkReadsTheFileSinkIT {
    /** Kept when the test fails: the run's log is DIR/logs/idbsync.log, the sink's files under DIR. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path tmp;

    @Test
    void aFlinkJobReadsEveryAcknowledgedChangeOnceAndTheRejectedOneOnlyInRejected() throws Exception {
        long t0 = System.nanoTime();
        Path data = tmp.resolve("data");
        SinkFiles files = new SinkFiles(data);
        try (Run run = Run.start(data)) {
            Landed landed = FileSinkHarness.landExampleData(run, files, data);
            Pushed pushed = landed.pushed();
            List<Line> changeLines = landed.changeLines();
            List<Line> rejectedLines = landed.rejectedLines();
            Map<Path, String> committed = landed.committed();
            Rejected bad = landed.bad();

            long tFlink = System.nanoTime();
            List<String> out = runFlink(files.changesDir(), files.rejectedDir());
            List<String> changes = out.stream().filter(s -> s.startsWith("change ")).map(s -> s.substring(7)).sorted().toList();
            List<String> rejected = out.stream().filter(s -> s.startsWith("rejected ")).map(s -> s.substring(9)).sorted().toList();
            log("Flink local MiniCluster read %s and %s: %d changes and %d rejected after dropping repeats, in %.1f s",
                    files.changesDir(), files.rejectedDir(), changes.size(), rejected.size(), secondsSince(tFlink));

            assertEquals(pushed.acked().size(), changes.size(), "one line per acknowledged change after dropping repeats");
            FileSinkHarness.assertSameLines("the committed files hold exactly the acknowledged changes, as pushed and answered",
                    pushed.acked().values().stream().map(Expected::summary).toList(), changes);
            Set<String> rejectedIds = pushed.rejectedIds();
            assertTrue(changes.stream().noneMatch(s -> rejectedIds.contains(s.substring(0, s.indexOf(' ')))),
                    "no rejected change under changes/");
            FileSinkHarness.assertSameLines("the rejected change is in rejected/, as it was sent, with its error",
                    pushed.rejected().stream().map(Rejected::summary).toList(), rejected);

            int exit = run.stop();
            assertTrue(exit == 0 || exit == 143, "exit code on SIGTERM: " + exit);
            files.assertUnchanged(committed);
            assertEquals(List.of(), files.inProgress(), "a clean stop commits every file in progress");
        }
        log("FlinkReadsTheFileSinkIT took %.1f s", secondsSince(t0));
    }

    /** The job docs/pipelines.md shows: both partition trees, repeats dropped, one summary per line. */
    private static List<String> runFlink(Path changesDir, Path rejectedDir) throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(2);
        env.setRuntimeMode(RuntimeExecutionMode.BATCH);

        DataStream<String> changes = env
                .fromSource(committedLines(changesDir), WatermarkStrategy.noWatermarks(), "changes of notes-app/notes")
                .keyBy(FileSinkHarness::eventId, Types.STRING)
                .reduce((first, repeat) -> first) // at least once: keep one line per eventId
                .map(line -> "change " + FileSinkHarness.summary(line))
                .returns(Types.STRING);
        DataStream<String> rejected = env
                .fromSource(committedLines(rejectedDir), WatermarkStrategy.noWatermarks(), "rejected of notes-app")
                .keyBy(FileSinkHarness::eventId, Types.STRING)
                .reduce((first, repeat) -> first)
                .map(line -> "rejected " + FileSinkHarness.rejectedSummary(line))
                .returns(Types.STRING);

        List<String> out = new ArrayList<>();
        try (CloseableIterator<String> it = changes.union(rejected).executeAndCollect("read the idbsync file sink")) {
            it.forEachRemaining(out::add);
        }
        return out;
    }

    /**
     * A bounded source of the committed lines under a partition directory: it walks the
     * {@code key=value} directories and takes only {@code *.jsonl} files, never a
     * {@code .jsonl.inprogress}.
     */
    static FileSource<String> committedLines(Path dir) {
        return FileSource
                .forRecordStreamFormat(new TextLineInputFormat(), new org.apache.flink.core.fs.Path(dir.toUri()))
                .setFileEnumerator(FlinkReadsTheFileSinkIT::committedFilesEnumerator)
                .build();
    }

    private static FileEnumerator committedFilesEnumerator() {
        return new NonSplittingRecursiveEnumerator(p -> p.getName().contains("=") || p.getName().endsWith(".jsonl"));
    }
}
