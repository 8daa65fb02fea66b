package dev.idbsync.bench;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The options of {@code ./bench/run} ({@code --help}; docs/performance.md), parsed and checked:
 * a bad one prints the problem and the usage and exits 2.
 */
final class BenchOptions {
    static final List<String> ALL_TARGETS = List.of("idbsync", "idbsync-kafka", "same-work", "flume", "bare");
    static final List<LoadDriver.Shape> DEFAULT_SHAPES = List.of(
            new LoadDriver.Shape(16, 100), new LoadDriver.Shape(16, 1), new LoadDriver.Shape(64, 10));

    int seconds = 20;
    int warmup = 10;
    /**
     * Extra seconds of load before the first shape of each target, for the JIT: a local run
     * compiles for about two minutes of load on 2 cores (its C2 threads took 0.5 of the 2 cores
     * 45 to 65 s into a run, and were still at 0.2 at 90 s), and its first shape would measure that.
     */
    int jitWarmup = 60;
    boolean secondsSet;
    boolean warmupSet;
    boolean jitWarmupSet;
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
    /**
     * Records to preload into each target that speaks PROTOCOL.md after its shapes were measured,
     * from a tenth as many clients; its first shape is then measured again (issue 13's scale
     * target). 0: no preload.
     */
    int preload;
    /** Where each target's JFR recording goes (--jfr DIR), or null. */
    Path jfr;
    /** Whether every thread's CPU is read over each measured window (--threads). */
    boolean threads;

    static BenchOptions parse(String[] args) {
        BenchOptions o = new BenchOptions();
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
                case "--jit-warmup" -> {
                    o.jitWarmup = nonNegative(a, v);
                    o.jitWarmupSet = true;
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
                case "--preload" -> {
                    o.preload = positive(a, v);
                    i++;
                }
                case "--same-work-sinks" -> {
                    o.sameWorkSinks = need(a, v);
                    for (String sink : o.sameWorkSinks.split(",")) {
                        if (!List.of("ignite", "flume", "file", "none").contains(sink)) {
                            fail("--same-work-sinks: unknown sink \"" + sink + "\"; known: ignite,flume,file (or none)");
                        }
                    }
                    i++;
                }
                case "--threads" -> o.threads = true;
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
            if (!o.jitWarmupSet) {
                o.jitWarmup = 0;
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

    /** The options that shape the figures, as the report's {@code command:} line gives them. */
    List<String> commandLine() {
        List<String> c = new ArrayList<>();
        c.add("--seconds");
        c.add(Integer.toString(seconds));
        c.add("--warmup");
        c.add(Integer.toString(warmup));
        c.add("--jit-warmup");
        c.add(Integer.toString(jitWarmup));
        if (!shapes.equals(DEFAULT_SHAPES)) {
            c.add("--shapes");
            c.add(labels(shapes).replace(" ", ""));
        }
        if (!targets.equals(ALL_TARGETS)) {
            c.add("--targets");
            c.add(String.join(",", targets));
        }
        c.add("--value-bytes");
        c.add(Integer.toString(valueBytes));
        c.add("--keys");
        c.add(Integer.toString(keys));
        if (preload > 0) {
            c.add("--preload");
            c.add(Integer.toString(preload));
        }
        return c;
    }

    /** The name a target's rows carry: the same-work reference with fewer sinks is named after them. */
    String label(String target) {
        return target.equals("same-work") && !sameWorkSinks.equals("ignite,flume,file")
                ? "same-work(" + sameWorkSinks + ")" : target;
    }

    static String labels(List<LoadDriver.Shape> shapes) {
        return String.join(", ", shapes.stream().map(LoadDriver.Shape::label).toList());
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
        s.println("usage: ./bench/run [--seconds N] [--warmup N] [--jit-warmup N] [--quick] [--shapes 16x100,16x1,64x10]");
        s.println("                   [--targets idbsync,idbsync-kafka,same-work,flume,bare] [--value-bytes V] [--keys K]");
        s.println("                   [--results DIR] [--tmp DIR] [--keep-data] [--jfr DIR] [--request-timeout-ms N] [--startup-timeout S]");
        s.println("                   [--preload N] [--threads]");
        s.println("  --seconds N      measured seconds per shape and target (default 20)");
        s.println("  --warmup N       seconds of load before measuring, per shape and target (default 10)");
        s.println("  --jit-warmup N   more seconds of load before the first shape of each target, for the JIT (default 60)");
        s.println("  --quick          a smoke run: 3 s measured after 2 s of warm-up and no JIT warm-up, unless given");
        s.println("  --shapes LIST    load shapes, CLIENTSxCHANGES-PER-REQUEST (default 16x100,16x1,64x10)");
        s.println("  --targets LIST   which targets, in this order (default idbsync,idbsync-kafka,same-work,flume,bare)");
        s.println("  --value-bytes V  bytes of JSON per value (default 256)");
        s.println("  --keys K         keys per client the puts are spread over (default 1000)");
        s.println("  --results DIR    where the CSV goes (default bench/results)");
        s.println("  --tmp DIR        where the targets' data dirs go (default java.io.tmpdir); deleted after each target");
        s.println("  --keep-data      keep the data dirs (and the targets' logs in them)");
        s.println("  --jfr DIR        record each target with JFR (settings=profile) into DIR/<target>.jfr");
        s.println("  --threads        read every thread's CPU time of each target over each measured window (/proc, the");
        s.println("                   names from jcmd); the .txt report lists them, a pool's threads summed");
        s.println("  --preload N      after a target's shapes: push N records from N/10 clients (ten puts a push) into it,");
        s.println("                   then measure its first shape again as <target>+preload (issue 13's scale target;");
        s.println("                   1000000 for the issue's 1,000,000 records and 100,000 clients; targets that speak PROTOCOL.md)");
        s.println("  --same-work-sinks LIST  diagnostics: the same-work reference with only these sinks");
        s.println("                   (ignite,flume,file; none); its rows are then named same-work(LIST)");
    }
}
