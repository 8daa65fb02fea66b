package dev.idbsync.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * The benchmark (docs/performance.md). {@code ./bench/run [options]} starts, one at a time, the
 * local run ({@code ./run-local}, every sink on) and three references, drives the same
 * closed-loop load at each for every load shape, checks every answer, and prints and writes
 * (bench/results/TIMESTAMP.csv) changes acknowledged per second, push latency percentiles, peak
 * RSS and CPU, with the ratios to the same-work reference and to the durable Flume agent.
 *
 * <p>{@code Bench serve <same-work|flume|bare> --port P ...} is how the benchmark starts a
 * reference: a child JVM of its own, like the local run, so that each target is measured alone.
 */
public final class Bench {
    static final List<String> ALL_TARGETS = List.of("idbsync", "same-work", "flume", "bare");
    static final List<LoadDriver.Shape> DEFAULT_SHAPES = List.of(
            new LoadDriver.Shape(16, 100), new LoadDriver.Shape(16, 1), new LoadDriver.Shape(64, 10));

    /** One line of the results. */
    record Row(String target, LoadDriver.Shape shape, LoadDriver.Figures f, long peakRssBytes, long hwmBytes,
               double targetCores, double benchCores, String loadAvg) {
    }

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("serve")) {
            serve(args);
            return;
        }
        System.exit(new Runner(Options.parse(args)).run());
    }

    // ---------------------------------------------------------------- the references' processes

    private static void serve(String[] args) throws Exception {
        if (args.length < 2) {
            throw new IllegalArgumentException("usage: Bench serve <same-work|flume|bare> --port P [...]");
        }
        String kind = args[1];
        Map<String, String> opts = new LinkedHashMap<>();
        for (int i = 2; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        System.setProperty("IGNITE_NO_ASCII", "true");
        System.setProperty("IGNITE_UPDATE_NOTIFIER", "false");
        System.setProperty("IGNITE_NO_SHUTDOWN_HOOK", "true");
        AutoCloseable server = switch (kind) {
            case "same-work" -> SameWorkServer.start(opts);
            case "flume" -> FlumeAgentServer.start(opts);
            case "bare" -> BareServer.start(opts);
            default -> throw new IllegalArgumentException("unknown reference: " + kind);
        };
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                server.close();
            } catch (Exception e) {
                System.out.println("stopping failed: " + e);
            }
            stopped.countDown();
        }, "bench-shutdown"));
        System.out.println(kind + " ready on http://127.0.0.1:" + opts.get("port"));
        System.out.flush();
        stopped.await();
    }

    // ---------------------------------------------------------------- options

    static final class Options {
        int seconds = 20;
        int warmup = 10;
        boolean secondsSet;
        boolean warmupSet;
        boolean quick;
        List<LoadDriver.Shape> shapes = DEFAULT_SHAPES;
        List<String> targets = ALL_TARGETS;
        int valueBytes = 256;
        int keys = 1000;
        int requestTimeoutMs = 40_000;
        int startupTimeoutSeconds = 900;
        Path root = Path.of(System.getProperty("bench.root", ".")).toAbsolutePath().normalize();
        Path results;
        Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
        boolean keepData;
        /** The sinks of the same-work reference; fewer than all three only to see what each costs. */
        String sameWorkSinks = "ignite,flume,file";
        /** Where each target's JFR recording goes (--jfr DIR), or null. */
        Path jfr;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = i + 1 < args.length ? args[i + 1] : null;
                switch (a) {
                    case "--seconds" -> {
                        o.seconds = positive(a, v);
                        o.secondsSet = true;
                        i++;
                    }
                    case "--warmup" -> {
                        o.warmup = nonNegative(a, v);
                        o.warmupSet = true;
                        i++;
                    }
                    case "--quick" -> o.quick = true;
                    case "--shapes" -> {
                        o.shapes = shapes(need(a, v));
                        i++;
                    }
                    case "--targets" -> {
                        o.targets = targets(need(a, v));
                        i++;
                    }
                    case "--value-bytes" -> {
                        o.valueBytes = positive(a, v);
                        i++;
                    }
                    case "--keys" -> {
                        o.keys = positive(a, v);
                        i++;
                    }
                    case "--request-timeout-ms" -> {
                        o.requestTimeoutMs = positive(a, v);
                        i++;
                    }
                    case "--startup-timeout" -> {
                        o.startupTimeoutSeconds = positive(a, v);
                        i++;
                    }
                    case "--results" -> {
                        o.results = Path.of(need(a, v)).toAbsolutePath();
                        i++;
                    }
                    case "--tmp" -> {
                        o.tmp = Path.of(need(a, v)).toAbsolutePath();
                        i++;
                    }
                    case "--keep-data" -> o.keepData = true;
                    case "--same-work-sinks" -> {
                        o.sameWorkSinks = need(a, v);
                        for (String sink : o.sameWorkSinks.split(",")) {
                            if (!List.of("ignite", "flume", "file", "none").contains(sink)) {
                                fail("--same-work-sinks: unknown sink \"" + sink + "\"; known: ignite,flume,file (or none)");
                            }
                        }
                        i++;
                    }
                    case "--jfr" -> {
                        o.jfr = Path.of(need(a, v)).toAbsolutePath();
                        i++;
                    }
                    case "-h", "--help" -> {
                        usage(System.out);
                        System.exit(0);
                    }
                    default -> fail("unknown option: " + a);
                }
            }
            if (o.quick) {
                if (!o.secondsSet) {
                    o.seconds = 3;
                }
                if (!o.warmupSet) {
                    o.warmup = 2;
                }
            }
            if (o.results == null) {
                o.results = o.root.resolve("bench/results");
            }
            if (o.valueBytes < 26) {
                fail("--value-bytes: at least 26 (the smallest note, {\"title\":\"x\",\"done\":false})");
            }
            return o;
        }

        static List<LoadDriver.Shape> shapes(String s) {
            List<LoadDriver.Shape> out = new ArrayList<>();
            for (String p : s.split(",")) {
                String[] cb = p.trim().toLowerCase(Locale.ROOT).split("x");
                if (cb.length != 2) {
                    fail("--shapes: \"" + p + "\" is not CLIENTSxCHANGES (e.g. 16x100)");
                }
                out.add(new LoadDriver.Shape(positive("--shapes", cb[0]), positive("--shapes", cb[1])));
            }
            return out;
        }

        static List<String> targets(String s) {
            List<String> out = new ArrayList<>();
            for (String t : s.split(",")) {
                if (!ALL_TARGETS.contains(t.trim())) {
                    fail("--targets: unknown target \"" + t + "\"; known: " + String.join(",", ALL_TARGETS));
                }
                out.add(t.trim());
            }
            return out;
        }

        private static String need(String flag, String v) {
            if (v == null) {
                fail(flag + " needs a value");
            }
            return v;
        }

        private static int positive(String flag, String v) {
            int n = nonNegative(flag, v);
            if (n < 1) {
                fail(flag + ": must be at least 1");
            }
            return n;
        }

        private static int nonNegative(String flag, String v) {
            try {
                int n = Integer.parseInt(need(flag, v));
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // below
            }
            fail(flag + ": \"" + v + "\" is not a number of 0 or more");
            return 0;
        }

        static void fail(String problem) {
            System.err.println(problem);
            usage(System.err);
            System.exit(2);
        }

        static void usage(PrintStream s) {
            s.println("usage: ./bench/run [--seconds N] [--warmup N] [--quick] [--shapes 16x100,16x1,64x10]");
            s.println("                   [--targets idbsync,same-work,flume,bare] [--value-bytes V] [--keys K]");
            s.println("                   [--results DIR] [--tmp DIR] [--keep-data] [--jfr DIR] [--request-timeout-ms N] [--startup-timeout S]");
            s.println("  --seconds N      measured seconds per shape and target (default 20)");
            s.println("  --warmup N       seconds of load before measuring, per shape and target (default 10)");
            s.println("  --quick          a smoke run: 3 s measured after 2 s of warm-up, unless given");
            s.println("  --shapes LIST    load shapes, CLIENTSxCHANGES-PER-REQUEST (default 16x100,16x1,64x10)");
            s.println("  --targets LIST   which targets, in this order (default idbsync,same-work,flume,bare)");
            s.println("  --value-bytes V  bytes of JSON per value (default 256)");
            s.println("  --keys K         keys per client the puts are spread over (default 1000)");
            s.println("  --results DIR    where the CSV goes (default bench/results)");
            s.println("  --tmp DIR        where the targets' data dirs go (default java.io.tmpdir); deleted after each target");
            s.println("  --keep-data      keep the data dirs (and the targets' logs in them)");
            s.println("  --jfr DIR        record each target with JFR (settings=profile) into DIR/<target>.jfr");
            s.println("  --same-work-sinks LIST  diagnostics: the same-work reference with only these sinks");
            s.println("                   (ignite,flume,file; none); its rows are then named same-work(LIST)");
        }
    }

    // ---------------------------------------------------------------- the run

    static final class Runner {
        private final Options o;
        private final List<Row> rows = new ArrayList<>();
        private final List<String> failures = new ArrayList<>();
        private final String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        private final SelfSampler self = new SelfSampler();

        Runner(Options o) {
            this.o = o;
        }

        int run() throws Exception {
            Machine m = Machine.describe();
            PrintStream out = System.out;
            out.println("idbsync benchmark " + stamp + ": " + o.seconds + " s measured after " + o.warmup
                    + " s warm-up per shape; shapes " + labels(o.shapes) + "; values of " + o.valueBytes
                    + " bytes over " + o.keys + " keys per client; targets " + String.join(", ", o.targets));
            out.println("machine: " + m.oneLine());
            Files.createDirectories(o.results);
            Path runTmp = Files.createTempDirectory(Files.createDirectories(o.tmp), "idbsync-bench-" + stamp + "-");
            self.start();
            try {
                for (String t : o.targets) {
                    target(t, runTmp);
                }
            } finally {
                self.stop();
                if (!o.keepData && failures.isEmpty()) {
                    deleteTree(runTmp);
                } else {
                    out.println("data dirs and the targets' consoles and logs kept in " + runTmp);
                }
            }
            out.println();
            List<String> table = table();
            table.forEach(out::println);
            out.println();
            List<String> verdicts = verdicts();
            verdicts.forEach(out::println);
            Path csv = o.results.resolve(stamp + ".csv");
            Files.write(csv, csv(), StandardCharsets.UTF_8);
            List<String> report = new ArrayList<>();
            report.add("idbsync benchmark " + stamp);
            report.add("command: ./bench/run " + String.join(" ", commandLine()));
            report.addAll(m.lines());
            report.add("");
            report.addAll(table);
            report.add("");
            report.addAll(verdicts);
            if (!failures.isEmpty()) {
                report.add("");
                report.add("FAILURES:");
                report.addAll(failures);
            }
            Path txt = o.results.resolve(stamp + ".txt");
            Files.write(txt, report, StandardCharsets.UTF_8);
            out.println();
            out.println("written: " + csv + " and " + txt + " (the machine, the table, the verdicts)");
            if (!failures.isEmpty()) {
                out.println();
                out.println("FAILED:");
                failures.forEach(f -> out.println("  " + f));
                return 1;
            }
            return 0;
        }

        private List<String> commandLine() {
            List<String> c = new ArrayList<>();
            c.add("--seconds");
            c.add(Integer.toString(o.seconds));
            c.add("--warmup");
            c.add(Integer.toString(o.warmup));
            if (!o.shapes.equals(DEFAULT_SHAPES)) {
                c.add("--shapes");
                c.add(labels(o.shapes).replace(" ", ""));
            }
            if (!o.targets.equals(ALL_TARGETS)) {
                c.add("--targets");
                c.add(String.join(",", o.targets));
            }
            c.add("--value-bytes");
            c.add(Integer.toString(o.valueBytes));
            c.add("--keys");
            c.add(Integer.toString(o.keys));
            return c;
        }

        private void target(String name, Path runTmp) throws Exception {
            PrintStream out = System.out;
            Path data = Files.createDirectories(runTmp.resolve(name));
            int port = freePort();
            int ignitePort = freePort();
            String java = ProcessHandle.current().info().command().orElse("java");
            int maxClients = o.shapes.stream().mapToInt(LoadDriver.Shape::clients).max().orElse(64);
            List<String> cmd = new ArrayList<>();
            String path = "/v1/sync";
            LoadDriver.Wire wire = LoadDriver.Wire.PUSH;
            if (name.equals("idbsync")) {
                cmd.addAll(List.of(o.root.resolve("run-local").toString(), "--port", Integer.toString(port),
                        "--ignite-port", Integer.toString(ignitePort), "--data-dir", data.toString()));
            } else {
                cmd.addAll(List.of(java, "-Xmx1g", "@" + o.root.resolve("conf/jvm/ignite.args"),
                        "-Dlog4j2.configurationFile=classpath:bench-log4j2.xml",
                        "-Dbench.log.file=" + data.resolve("logs/bench.log"),
                        "-cp", System.getProperty("java.class.path"), Bench.class.getName(), "serve", name,
                        "--port", Integer.toString(port), "--data-dir", data.toString(), "--root", o.root.toString()));
                if (name.equals("same-work")) {
                    cmd.addAll(List.of("--ignite-port", Integer.toString(ignitePort), "--threads", Integer.toString(maxClients),
                            "--sinks", o.sameWorkSinks));
                }
                if (name.equals("flume")) {
                    path = "/";
                    wire = LoadDriver.Wire.FLUME_JSON;
                }
            }
            out.println();
            settleDisk(out);
            out.println("== " + name + ": starting (" + describe(name) + "); load average " + loadAvg());
            long t0 = System.nanoTime();
            Map<String, String> env = new LinkedHashMap<>();
            if (o.jfr != null) {
                Files.createDirectories(o.jfr);
                // JAVA_TOOL_OPTIONS reaches the java that ./run-local execs as well as a reference's
                env.put("JAVA_TOOL_OPTIONS", "-XX:StartFlightRecording=settings=profile,dumponexit=true,filename="
                        + o.jfr.resolve(name + ".jfr"));
            }
            try (TargetProcess p = new TargetProcess(name, cmd, env, o.root, runTmp.resolve("console-" + name + ".log"))) {
                if (!p.awaitReady(o.startupTimeoutSeconds)) {
                    String why = name + " did not print \"ready on\" within " + o.startupTimeoutSeconds + " s"
                            + (p.alive() ? "" : " (it exited)") + "; its last lines:\n" + p.lastConsoleLines(20);
                    failures.add(why);
                    out.println(why);
                    return;
                }
                out.printf(Locale.ROOT, "   ready after %.1f s on 127.0.0.1:%d%n", (System.nanoTime() - t0) / 1e9, port);
                for (LoadDriver.Shape shape : o.shapes) {
                    String la = loadAvg();
                    String tag = stamp.substring(9) + "-" + shortName(name) + "-" + shape.label();
                    long from = System.nanoTime();
                    LoadDriver.Figures f = new LoadDriver("127.0.0.1", port, path, wire, shape,
                            new LoadDriver.Settings(o.valueBytes, o.keys, o.warmup, o.seconds, o.requestTimeoutMs), tag)
                            .run();
                    long to = System.nanoTime();
                    long[] w = f.windowNanos();
                    Row row = new Row(label(name), shape, f, p.peakRss(from, to), p.highWaterMark(), p.cores(w[0], w[1]),
                            self.cores(w[0], w[1]), la);
                    rows.add(row);
                    out.println("   " + line(row));
                    if (!f.ok()) {
                        failures.add(name + " " + shape.label() + ": " + (f.changes() == 0 ? "no change acknowledged; "
                                : "") + f.wrong() + " wrong answers; first: " + f.firstProblem());
                    }
                    if (!p.alive()) {
                        failures.add(name + " exited during shape " + shape.label() + "; its last lines:\n"
                                + p.lastConsoleLines(20));
                        return;
                    }
                }
                out.printf(Locale.ROOT, "   peak RSS over the whole run (VmHWM): %s; stopping%n", mib(p.highWaterMark()));
            }
            if (!o.keepData && failures.isEmpty()) {
                deleteTree(data); // Ignite's WAL and Flume's channel files add up
            }
        }

        /** The name a target's rows carry: the same-work reference with fewer sinks is named after them. */
        private String label(String target) {
            return target.equals("same-work") && !o.sameWorkSinks.equals("ignite,flume,file")
                    ? "same-work(" + o.sameWorkSinks + ")" : target;
        }

        private static String shortName(String target) {
            return switch (target) {
                case "idbsync" -> "i";
                case "same-work" -> "s";
                case "flume" -> "f";
                default -> "b";
            };
        }

        static String describe(String target) {
            return switch (target) {
                case "idbsync" -> "./run-local: Storm LocalCluster, embedded persistent Ignite, in-process Flume agent, file sink";
                case "same-work" -> "Undertow + the same durable work per request: parse, schema, one Ignite transaction, "
                        + "one Flume appendBatch, one file append + fsync";
                case "flume" -> "Flume 1.11 agent: HTTP source (JSONHandler), file channel, file_roll sink";
                default -> "Undertow + Jackson parse + answer";
            };
        }

        private Row find(String target, LoadDriver.Shape shape) {
            for (Row r : rows) {
                if (r.target().equals(target) && r.shape().equals(shape)) {
                    return r;
                }
            }
            return null;
        }

        private double ratio(Row r, String to) {
            Row ref = find(to, r.shape());
            if (ref == null || ref.f().changesPerSecond() <= 0) {
                return Double.NaN;
            }
            return r.f().changesPerSecond() / ref.f().changesPerSecond();
        }

        private static String line(Row r) {
            LoadDriver.Figures f = r.f();
            return String.format(Locale.ROOT, "%-9s %-6s %9.0f changes/s (%7.0f req/s)  p50 %7.1f  p90 %7.1f  p99 %7.1f  "
                            + "max %7.1f ms  RSS %5s MiB  cpu %.2f (bench %.2f)  503s %d  %s",
                    r.target(), r.shape().label(), f.changesPerSecond(), f.requests() / f.seconds(), f.p50Ms(), f.p90Ms(),
                    f.p99Ms(), f.maxMs(), mibNum(r.peakRssBytes()), r.targetCores(), r.benchCores(), f.unavailable(),
                    f.ok() ? "answers ok" : "ANSWERS WRONG (" + f.wrong() + ")");
        }

        private List<String> table() {
            List<String> t = new ArrayList<>();
            t.add(String.format(Locale.ROOT, "%-9s %-6s %10s %8s %8s %8s %8s %8s %6s %6s %9s %7s %s",
                    "target", "shape", "changes/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "RSS MiB", "cpu",
                    "bench", "x same", "x flume", "answers"));
            for (LoadDriver.Shape s : o.shapes) {
                for (String target : o.targets) {
                    target = label(target);
                    Row r = find(target, s);
                    if (r == null) {
                        t.add(String.format(Locale.ROOT, "%-9s %-6s (not measured)", target, s.label()));
                        continue;
                    }
                    LoadDriver.Figures f = r.f();
                    t.add(String.format(Locale.ROOT, "%-9s %-6s %10.0f %8.1f %8.1f %8.1f %8.1f %8s %6.2f %6.2f %9s %7s %s",
                            target, s.label(), f.changesPerSecond(), f.p50Ms(), f.p90Ms(), f.p99Ms(), f.maxMs(),
                            mibNum(r.peakRssBytes()), r.targetCores(), r.benchCores(), fmtRatio(ratio(r, "same-work")),
                            fmtRatio(ratio(r, "flume")), f.ok() ? "ok" : "WRONG " + f.wrong()
                                    + (f.unavailable() > 0 ? " 503s " + f.unavailable() : "")));
                }
            }
            return t;
        }

        /** The issue's targets (2 cores), each with what this run measured. */
        private List<String> verdicts() {
            List<String> v = new ArrayList<>();
            v.add("targets (issue 7), idbsync against the references of this run:");
            for (LoadDriver.Shape s : o.shapes) {
                Row r = find("idbsync", s);
                if (r == null) {
                    continue;
                }
                v.add(verdict(s.label() + ": >= 0.75x the same-work reference", ratio(r, "same-work"), 0.75, true, "x"));
                if (s.clients() == 16 && s.changes() == 100) {
                    v.add(verdict("16x100: >= 0.5x the durable Flume agent", ratio(r, "flume"), 0.5, true, "x"));
                    v.add(verdict("16x100: p99 <= 150 ms", r.f().p99Ms(), 150, false, " ms"));
                }
                if (s.clients() == 16 && s.changes() == 1) {
                    v.add(verdict("16x1: >= 1.5x the durable Flume agent", ratio(r, "flume"), 1.5, true, "x"));
                    v.add(verdict("16x1: p99 <= 50 ms", r.f().p99Ms(), 50, false, " ms"));
                }
            }
            long peak = rows.stream().filter(r -> r.target().equals("idbsync")).mapToLong(Row::hwmBytes).max().orElse(-1);
            if (peak > 0) {
                v.add(verdict("peak RSS of the local run <= 1.5 GiB (1536 MiB)", peak / 1048576.0, 1536, false, " MiB"));
            }
            return v;
        }

        private static String verdict(String what, double measured, double limit, boolean atLeast, String unit) {
            String state;
            if (Double.isNaN(measured)) {
                state = "not measured";
            } else {
                boolean met = atLeast ? measured >= limit : measured <= limit;
                state = (met ? "MET    " : "NOT MET") + " (" + String.format(Locale.ROOT, unit.equals("x") ? "%.2f" : "%.1f",
                        measured) + (unit.equals("x") ? "x" : unit) + ")";
            }
            return String.format(Locale.ROOT, "  %-52s %s", what, state);
        }

        private List<String> csv() {
            List<String> c = new ArrayList<>();
            c.add("run,target,clients,changes_per_request,value_bytes,keys,warmup_s,seconds,requests,changes,changes_per_s,"
                    + "p50_ms,p90_ms,p99_ms,max_ms,peak_rss_mib,vmhwm_mib,target_cpu_cores,bench_cpu_cores,unavailable_503,"
                    + "io_errors,wrong_answers,conflicts,ratio_vs_same_work,ratio_vs_flume,answers_ok,loadavg_before,first_problem");
            for (Row r : rows) {
                LoadDriver.Figures f = r.f();
                c.add(String.join(",", stamp, r.target(), Integer.toString(r.shape().clients()),
                        Integer.toString(r.shape().changes()), Integer.toString(o.valueBytes), Integer.toString(o.keys),
                        Integer.toString(o.warmup), Integer.toString(o.seconds), Long.toString(f.requests()),
                        Long.toString(f.changes()), num(f.changesPerSecond(), 1), num(f.p50Ms(), 2), num(f.p90Ms(), 2),
                        num(f.p99Ms(), 2), num(f.maxMs(), 2), mibNum(r.peakRssBytes()), mibNum(r.hwmBytes()),
                        num(r.targetCores(), 2), num(r.benchCores(), 2), Long.toString(f.unavailable()),
                        Long.toString(f.ioErrors()), Long.toString(f.wrong()), Long.toString(f.conflicts()),
                        num(ratio(r, "same-work"), 3), num(ratio(r, "flume"), 3), Boolean.toString(f.ok()),
                        quote(r.loadAvg()), quote(f.firstProblem() == null ? "" : f.firstProblem())));
            }
            return c;
        }
    }

    // ---------------------------------------------------------------- helpers

    /** The benchmark's own CPU use, sampled like a target's, so the load generator's share shows. */
    static final class SelfSampler {
        private final List<TargetProcess.Sample> samples = new ArrayList<>();
        private volatile boolean running = true;
        private Thread thread;

        void start() {
            long pid = ProcessHandle.current().pid();
            thread = new Thread(() -> {
                while (running) {
                    TargetProcess.Sample s = TargetProcess.read(pid);
                    if (s != null) {
                        synchronized (samples) {
                            samples.add(s);
                        }
                    }
                    try {
                        Thread.sleep(200);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "sampler-self");
            thread.setDaemon(true);
            thread.start();
        }

        void stop() {
            running = false;
        }

        double cores(long from, long to) {
            TargetProcess.Sample a = null;
            TargetProcess.Sample b = null;
            synchronized (samples) {
                for (TargetProcess.Sample s : samples) {
                    if (a == null && s.nanos() >= from) {
                        a = s;
                    }
                    if (s.nanos() <= to) {
                        b = s;
                    }
                }
            }
            if (a == null || b == null || b.nanos() <= a.nanos()) {
                return Double.NaN;
            }
            return (b.cpuTicks() - a.cpuTicks()) / (double) TargetProcess.TICKS_PER_SECOND / ((b.nanos() - a.nanos()) / 1e9);
        }
    }

    static String labels(List<LoadDriver.Shape> shapes) {
        return String.join(", ", shapes.stream().map(LoadDriver.Shape::label).toList());
    }

    static String loadAvg() {
        try {
            String[] p = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return p[0] + " " + p[1] + " " + p[2];
        } catch (IOException e) {
            return "?";
        }
    }

    static String fmtRatio(double r) {
        return Double.isNaN(r) ? "-" : String.format(Locale.ROOT, "%.2f", r);
    }

    static String num(double d, int decimals) {
        return Double.isNaN(d) ? "" : String.format(Locale.ROOT, "%." + decimals + "f", d);
    }

    static String mib(long bytes) {
        return bytes < 0 ? "?" : mibNum(bytes) + " MiB";
    }

    static String mibNum(long bytes) {
        return bytes < 0 ? "" : Long.toString(Math.round(bytes / 1048576.0));
    }

    static String quote(String s) {
        return "\"" + s.replace("\"", "\"\"").replace('\n', ' ') + "\"";
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

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
