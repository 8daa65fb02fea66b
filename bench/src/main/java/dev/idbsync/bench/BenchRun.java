package dev.idbsync.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * One run of the benchmark: each target in turn ({@link TargetRun}), then the table and the
 * verdicts printed and the results written to {@code <results>/<timestamp>.csv} and {@code .txt}
 * ({@link BenchReport}). The exit code is 1 when a target did not start, exited, or answered
 * wrong; the targets' data dirs are then kept.
 */
final class BenchRun {
    private final BenchOptions o;
    private final String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    private final BenchReport report;
    /** The benchmark's own CPU use, sampled like a target's, so the load generator's share shows. */
    private final Samples self = new Samples();
    private volatile boolean sampling = true;

    BenchRun(BenchOptions o) {
        this.o = o;
        this.report = new BenchReport(o, stamp);
    }

    int run() throws Exception {
        Machine m = Machine.describe();
        PrintStream out = System.out;
        out.println("idbsync benchmark " + stamp + ": " + o.seconds + " s measured after " + o.warmup
                + " s warm-up per shape (" + o.jitWarmup + " s more before each target's first, for the JIT); shapes " + BenchOptions.labels(o.shapes) + "; values of " + o.valueBytes
                + " bytes over " + o.keys + " keys per client; targets " + String.join(", ", o.targets));
        out.println("machine: " + m.oneLine());
        Files.createDirectories(o.results);
        Path runTmp = Files.createTempDirectory(Files.createDirectories(o.tmp), "idbsync-bench-" + stamp + "-");
        long pid = ProcessHandle.current().pid();
        self.start("sampler-self", () -> pid, () -> sampling);
        try {
            TargetRun targets = new TargetRun(o, report, self, stamp);
            for (String t : o.targets) {
                targets.run(t, runTmp);
            }
        } finally {
            sampling = false;
            if (!o.keepData && report.failures().isEmpty()) {
                deleteTree(runTmp);
            } else {
                out.println("data dirs and the targets' consoles and logs kept in " + runTmp);
            }
        }
        out.println();
        List<String> table = report.table();
        table.forEach(out::println);
        out.println();
        List<String> verdicts = report.verdicts();
        verdicts.forEach(out::println);
        Path csv = o.results.resolve(stamp + ".csv");
        Files.write(csv, report.csv(), StandardCharsets.UTF_8);
        Path txt = o.results.resolve(stamp + ".txt");
        Files.write(txt, report.text(m, table, verdicts), StandardCharsets.UTF_8);
        out.println();
        out.println("written: " + csv + " and " + txt + " (the machine, the table, the verdicts)");
        if (!report.failures().isEmpty()) {
            out.println();
            out.println("FAILED:");
            report.failures().forEach(f -> out.println("  " + f));
            return 1;
        }
        return 0;
    }

    /** Deletes a directory and all below it, as far as it can. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // best effort
                }
            });
        } catch (IOException e) {
            // best effort
        }
    }
}
