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
import java.util.TreeSet;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.TextIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Distinct;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file sink as a Beam user reads it: a batch pipeline on the DirectRunner reads the committed
 * files of a local run with TextIO and a glob, parses each line with Jackson and drops repeats by
 * eventId; what is left is exactly the changes the server acknowledged, with what was pushed.
 */
@Tag("integration")
class BeamReadsTheFileSinkIT {
    /** Kept when the test fails: the run's log is DIR/logs/idbsync.log, the sink's files under DIR. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path tmp;

    @Test
    void aBeamPipelineReadsEveryAcknowledgedChangeOnceAndTheRejectedOneOnlyInRejected() throws Exception {
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

            // The pipeline, while the run goes on: the glob never matches a file in progress.
            long tBeam = System.nanoTime();
            List<String> expected = pushed.acked().values().stream().map(Expected::summary).toList();
            List<String> expectedRejected = pushed.rejected().stream().map(Rejected::summary).toList();
            TreeSet<String> rejectedIds = new TreeSet<>(pushed.rejectedIds());
            runBeam(files.changesGlob(), files.rejectedGlob(), expected, expectedRejected, rejectedIds);
            log("Beam DirectRunner read %s and %s and matched %d changes and %d rejected in %.1f s",
                    files.changesGlob(), files.rejectedGlob(), expected.size(), expectedRejected.size(), secondsSince(tBeam));

            int exit = run.stop();
            assertTrue(exit == 0 || exit == 143, "exit code on SIGTERM: " + exit);
            files.assertUnchanged(committed);
            assertEquals(List.of(), files.inProgress(), "a clean stop commits every file in progress");
        }
        log("BeamReadsTheFileSinkIT took %.1f s", secondsSince(t0));
    }

    /** The pipeline docs/pipelines.md shows, with PAssert in place of a sink. */
    private static void runBeam(String changesGlob, String rejectedGlob, List<String> expected, List<String> expectedRejected,
                                TreeSet<String> rejectedIds) {
        DirectOptions options = PipelineOptionsFactory.create().as(DirectOptions.class);
        options.setRunner(DirectRunner.class);
        options.setTargetParallelism(2);
        Pipeline p = Pipeline.create(options);

        PCollection<String> changes = p
                .apply("read committed changes", TextIO.read().from(changesGlob))
                .apply("drop repeats by eventId", Distinct.withRepresentativeValueFn(FileSinkHarness::eventId)
                        .withRepresentativeType(TypeDescriptors.strings()));
        PCollection<String> summaries = changes
                .apply("parse", MapElements.into(TypeDescriptors.strings()).via(FileSinkHarness::summary));
        List<String> want = new ArrayList<>(expected);
        PAssert.that(summaries).satisfies(got -> {
            FileSinkHarness.assertSameLines("changes after dropping repeats by eventId", want, got);
            return null;
        });
        PAssert.thatSingleton(changes.apply("count", Count.globally())).isEqualTo((long) expected.size());
        PAssert.that(changes.apply("eventIds", MapElements.into(TypeDescriptors.strings()).via(FileSinkHarness::eventId)))
                .satisfies(ids -> {
                    for (String id : ids) {
                        if (rejectedIds.contains(id)) {
                            throw new AssertionError("rejected change " + id + " is in changes/");
                        }
                    }
                    return null;
                });

        PCollection<String> rejected = p
                .apply("read committed rejected", TextIO.read().from(rejectedGlob))
                .apply("drop repeated rejects", Distinct.withRepresentativeValueFn(FileSinkHarness::eventId)
                        .withRepresentativeType(TypeDescriptors.strings()))
                .apply("parse rejected", MapElements.into(TypeDescriptors.strings()).via(FileSinkHarness::rejectedSummary));
        List<String> wantRejected = new ArrayList<>(expectedRejected);
        PAssert.that(rejected).satisfies(got -> {
            FileSinkHarness.assertSameLines("rejected changes", wantRejected, got);
            return null;
        });

        p.run().waitUntilFinish();
    }
}
