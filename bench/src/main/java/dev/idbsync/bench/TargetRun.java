package dev.idbsync.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One target of a run: started alone (after the previous one's writes have settled), driven with
 * each load shape in turn, a row per shape, then stopped and its data deleted. The local run is
 * {@code ./run-local}; a reference is this benchmark's own jar in a child JVM ({@code Bench serve}).
 */
final class TargetRun {
    /** How a target is started and what it speaks. */
    private record Launch(List<String> command, String path, LoadDriver.Wire wire) {
    }

    private final BenchOptions o;
    private final BenchReport report;
    private final Samples self;
    private final String stamp;
    private final PrintStream out = System.out;

    TargetRun(BenchOptions o, BenchReport report, Samples self, String stamp) {
        this.o = o;
        this.report = report;
        this.self = self;
        this.stamp = stamp;
    }

    /** Runs target {@code name} with its data dir under {@code runTmp}; what goes wrong is a failure of the report. */
    void run(String name, Path runTmp) throws Exception {
        Path data = Files.createDirectories(runTmp.resolve(name));
        int port = Ports.freePort();
        int ignitePort = Ports.freePort();
        Launch launch = launch(name, port, ignitePort, data);
        out.println();
        settleDisk(out);
        out.println("== " + name + ": starting (" + describe(name) + "); load average " + Machine.loadAvgNow());
        long t0 = System.nanoTime();
        Map<String, String> env = new LinkedHashMap<>();
        if (o.jfr != null) {
            Files.createDirectories(o.jfr);
            // JAVA_TOOL_OPTIONS reaches the java that ./run-local execs as well as a reference's
            env.put("JAVA_TOOL_OPTIONS", "-XX:StartFlightRecording=settings=profile,dumponexit=true,filename="
                    + o.jfr.resolve(name + ".jfr"));
        }
        try (TargetProcess p = new TargetProcess(name, launch.command(), env, o.root, runTmp.resolve("console-" + name + ".log"))) {
            if (!p.awaitReady(o.startupTimeoutSeconds)) {
                String why = name + " did not print \"ready on\" within " + o.startupTimeoutSeconds + " s"
                        + (p.alive() ? "" : " (it exited)") + "; its last lines:\n" + p.lastConsoleLines(20);
                report.fail(why);
                out.println(why);
                return;
            }
            out.printf(Locale.ROOT, "   ready after %.1f s on 127.0.0.1:%d%n", (System.nanoTime() - t0) / 1e9, port);
            boolean first = true;
            for (LoadDriver.Shape shape : o.shapes) {
                int warmup = o.warmup + (first ? o.jitWarmup : 0);
                first = false;
                if (!measure(p, name, o.label(name), port, launch, shape, warmup)) {
                    return;
                }
            }
            if (o.preload > 0 && launch.wire() == LoadDriver.Wire.PUSH) {
                out.printf(Locale.ROOT, "   preloading %,d records from %,d clients (ten puts a push)%n", o.preload,
                        (o.preload + Preload.CHANGES - 1) / Preload.CHANGES);
                Preload.Result r = Preload.run("127.0.0.1", port, launch.path(), o.preload, o.valueBytes, o.requestTimeoutMs,
                        stamp.substring(9) + "-" + shortName(name), out);
                out.printf(Locale.ROOT, "   preloaded %,d records from %,d clients in %.0f s%n", r.records(), r.clients(), r.seconds());
                if (!r.ok()) {
                    report.fail(name + ": the preload failed: " + r.problem());
                    return;
                }
                if (!measure(p, name, o.label(name) + "+preload", port, launch, o.shapes.get(0), o.warmup)) {
                    return;
                }
            }
            out.printf(Locale.ROOT, "   peak RSS over the whole run (VmHWM): %s; stopping%n",
                    BenchReport.mib(p.samples().highWaterMark()));
        }
        if (!o.keepData && report.failures().isEmpty()) {
            BenchRun.deleteTree(data); // Ignite's WAL and Flume's channel files add up
        }
    }

    /** Drives one shape at the started target and adds its row; false when the target exited meanwhile. */
    private boolean measure(TargetProcess p, String name, String label, int port, Launch launch, LoadDriver.Shape shape,
                            int warmup) throws InterruptedException {
        String la = Machine.loadAvgNow();
        String tag = stamp.substring(9) + "-" + shortName(name) + (label.endsWith("+preload") ? "p" : "") + "-" + shape.label();
        long from = System.nanoTime();
        // LoadDriver measures from its start + warmup for o.seconds: the same window, to a few µs
        java.util.concurrent.CompletableFuture<List<String>> threads = o.threads
                ? ThreadCpu.watch(p.javaPid(), from + warmup * 1_000_000_000L, from + (warmup + (long) o.seconds) * 1_000_000_000L)
                : null;
        LoadDriver.Figures f = new LoadDriver("127.0.0.1", port, launch.path(), launch.wire(), shape,
                new LoadDriver.Settings(o.valueBytes, o.keys, warmup, o.seconds, o.requestTimeoutMs), tag)
                .run();
        long to = System.nanoTime();
        long[] w = f.windowNanos();
        Samples s = p.samples();
        out.println("   " + report.add(new BenchReport.Row(label, shape, warmup, f, s.peakRss(from, to), s.highWaterMark(),
                s.cores(w[0], w[1]), self.cores(w[0], w[1]), la)));
        if (threads != null) {
            try {
                report.threads(label + " " + shape.label(), threads.get(60, java.util.concurrent.TimeUnit.SECONDS));
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                report.threads(label + " " + shape.label(), List.of("(the threads could not be read: " + e + ")"));
            }
        }
        if (!f.ok()) {
            report.fail(name + " " + shape.label() + ": " + (f.changes() == 0 ? "no change acknowledged; "
                    : "") + f.wrong() + " wrong answers; first: " + f.firstProblem());
        }
        if (!p.alive()) {
            report.fail(name + " exited during shape " + shape.label() + "; its last lines:\n" + p.lastConsoleLines(20));
            return false;
        }
        return true;
    }

    /** The command that starts the target, and where and how the load speaks to it. */
    private Launch launch(String name, int port, int ignitePort, Path data) {
        if (name.equals("idbsync") || name.equals("idbsync-kafka")) {
            List<String> cmd = new ArrayList<>(List.of(o.root.resolve("run-local").toString(), "--port", Integer.toString(port),
                    "--ignite-port", Integer.toString(ignitePort), "--data-dir", data.toString()));
            if (name.equals("idbsync-kafka")) {
                // the same local run with the Kafka sink on, to its in-process broker (DATA/kafka)
                cmd.addAll(List.of("--kafka", "--kafka-port", Integer.toString(kafkaPort())));
            }
            return new Launch(cmd, "/v1/sync", LoadDriver.Wire.PUSH);
        }
        String java = ProcessHandle.current().info().command().orElse("java");
        int maxClients = o.shapes.stream().mapToInt(LoadDriver.Shape::clients).max().orElse(64);
        List<String> cmd = new ArrayList<>(List.of(java, "-Xmx1g"));
        if (name.equals("same-work")) {
            // the collector ./run-local uses: the reference does the topology's Ignite work in the same kind of JVM
            cmd.add("-XX:+UseParallelGC");
        }
        cmd.addAll(List.of("@" + o.root.resolve("conf/jvm/ignite.args"),
                "-Dlog4j2.configurationFile=classpath:bench-log4j2.xml",
                "-Dbench.log.file=" + data.resolve("logs/bench.log"),
                "-cp", System.getProperty("java.class.path"), Bench.class.getName(), "serve", name,
                "--port", Integer.toString(port), "--data-dir", data.toString(), "--root", o.root.toString()));
        if (name.equals("same-work")) {
            cmd.addAll(List.of("--ignite-port", Integer.toString(ignitePort), "--threads", Integer.toString(maxClients),
                    "--sinks", o.sameWorkSinks));
        }
        if (name.equals("flume")) {
            return new Launch(cmd, "/", LoadDriver.Wire.FLUME_JSON);
        }
        return new Launch(cmd, "/v1/sync", LoadDriver.Wire.PUSH);
    }

    private static int kafkaPort() {
        try {
            return Ports.freePort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("no free port for the Kafka broker", e);
        }
    }

    private static String shortName(String target) {
        return switch (target) {
            case "idbsync" -> "i";
            case "idbsync-kafka" -> "k";
            case "same-work" -> "s";
            case "flume" -> "f";
            default -> "b";
        };
    }

    static String describe(String target) {
        return switch (target) {
            case "idbsync" -> "./run-local: Storm LocalCluster, embedded persistent Ignite, in-process Flume agent, file sink";
            case "idbsync-kafka" -> "./run-local --kafka: the same, plus the Kafka sink (acks=all) to an in-process"
                    + " KRaft broker";
            case "same-work" -> "Undertow + the same durable work per request: parse, schema, one Ignite transaction, "
                    + "one Flume appendBatch, one file append + fsync";
            case "flume" -> "Flume 1.11 agent: HTTP source (JSONHandler), file channel, file_roll sink";
            default -> "Undertow + Jackson parse + answer";
        };
    }

    /**
     * Writes back what the previous target left dirty in the page cache (its WAL, pages, files,
     * deleted or not) before the next one starts, so that a target's fsyncs do not wait behind
     * the writeback of the one before. (One run without this, started right after another, with a
     * load average of 7, measured the local run at about half its figures of the run before.)
     * Then waits 5 s more for the disk to idle.
     */
    private static void settleDisk(PrintStream out) throws InterruptedException {
        long t0 = System.nanoTime();
        try {
            new ProcessBuilder("sync").inheritIO().start().waitFor();
        } catch (IOException e) {
            out.println("   (sync could not run: " + e.getMessage() + ")");
        }
        Thread.sleep(5000);
        out.printf("   disk settled (sync, then 5 s) in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }
}
