package dev.idbsync.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a run measured and how it is shown: a line per target and shape as it is measured, then
 * the table with the ratios to the references, the verdicts against the issue's targets, the CSV
 * rows (docs/performance.md, "Run it"), and the failures that make the run exit 1.
 */
final class BenchReport {
    /** One line of the results. */
    record Row(String target, LoadDriver.Shape shape, int warmupSeconds, LoadDriver.Figures f, long peakRssBytes, long hwmBytes,
               double targetCores, double benchCores, String loadAvg) {
    }

    private final BenchOptions o;
    private final String stamp;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> failures = new ArrayList<>();
    /** --threads: per target and shape, the lines of {@link ThreadCpu}. */
    private final java.util.Map<String, List<String>> threads = new java.util.LinkedHashMap<>();

    BenchReport(BenchOptions o, String stamp) {
        this.o = o;
        this.stamp = stamp;
    }

    /** Adds a row; returns its line, as printed while the run goes on. */
    String add(Row row) {
        rows.add(row);
        return line(row);
    }

    /** The threads' CPU of one target and shape over its measured window (--threads). */
    void threads(String what, List<String> lines) {
        threads.put(what, lines);
    }

    void fail(String failure) {
        failures.add(failure);
    }

    /** What went wrong (a target that did not start or exited, wrong answers); empty when nothing did. */
    List<String> failures() {
        return failures;
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

    /** The table: a line per shape and target, with the ratios to the references. */
    List<String> table() {
        List<String> t = new ArrayList<>();
        t.add(String.format(Locale.ROOT, "%-9s %-6s %10s %8s %8s %8s %8s %8s %6s %8s %6s %9s %7s %s",
                "target", "shape", "changes/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "RSS MiB", "cpu",
                "us*core", "bench", "x same", "x flume", "answers"));
        for (LoadDriver.Shape s : o.shapes) {
            List<String> names = new ArrayList<>();
            for (String target : o.targets) {
                names.add(o.label(target));
                if (o.preload > 0 && find(o.label(target) + "+preload", s) != null) {
                    names.add(o.label(target) + "+preload"); // --preload: the same shape on the filled store
                }
            }
            for (String target : names) {
                Row r = find(target, s);
                if (r == null) {
                    t.add(String.format(Locale.ROOT, "%-9s %-6s (not measured)", target, s.label()));
                    continue;
                }
                LoadDriver.Figures f = r.f();
                t.add(String.format(Locale.ROOT, "%-9s %-6s %10.0f %8.1f %8.1f %8.1f %8.1f %8s %6.2f %8.0f %6.2f %9s %7s %s",
                        target, s.label(), f.changesPerSecond(), f.p50Ms(), f.p90Ms(), f.p99Ms(), f.maxMs(),
                        mibNum(r.peakRssBytes()), r.targetCores(), cpuPerChange(r), r.benchCores(), fmtRatio(ratio(r, "same-work")),
                        fmtRatio(ratio(r, "flume")), f.ok() ? "ok" : "WRONG " + f.wrong()
                                + (f.unavailable() > 0 ? " 503s " + f.unavailable() : "")));
            }
        }
        t.add("us*core: the target's CPU per change acknowledged, in microseconds of one core (cpu / changes/s);"
                + " issue 13 puts the building blocks' sum at about 100 for the local run with every durable sink on");
        return t;
    }

    /** Microseconds of one core the target spent per change acknowledged. */
    static double cpuPerChange(Row r) {
        double perSecond = r.f().changesPerSecond();
        return perSecond <= 0 ? Double.NaN : r.targetCores() / perSecond * 1e6;
    }

    /** Issue 13's targets (2 cores), each with what this run measured (issue 7's were superseded by them). */
    List<String> verdicts() {
        List<String> v = new ArrayList<>();
        v.add("targets (issue 13), idbsync against the references of this run:");
        for (LoadDriver.Shape s : o.shapes) {
            Row r = find("idbsync", s);
            if (r == null) {
                continue;
            }
            v.add(verdict(s.label() + ": >= 0.8x the same-work reference", ratio(r, "same-work"), 0.8, true, "x"));
            double flume = s.clients() == 16 && s.changes() == 100 ? 0.25
                    : s.clients() == 64 && s.changes() == 10 ? 0.35
                    : s.clients() == 16 && s.changes() == 1 ? 0.3 : Double.NaN;
            if (!Double.isNaN(flume)) {
                double p99 = s.changes() == 1 ? 40 : 250;
                v.add(verdict(s.label() + ": >= " + flume + "x the durable Flume agent", ratio(r, "flume"), flume, true, "x"));
                v.add(verdict(s.label() + ": p99 <= " + (int) p99 + " ms", r.f().p99Ms(), p99, false, " ms"));
            }
        }
        Row preloaded = o.shapes.isEmpty() ? null : find("idbsync+preload", o.shapes.get(0));
        Row empty = preloaded == null ? null : find("idbsync", o.shapes.get(0));
        if (preloaded != null && empty != null) {
            v.add(verdict(o.shapes.get(0).label() + " with " + String.format(Locale.ROOT, "%,d", o.preload)
                    + " records preloaded: >= 0.8x the empty store", preloaded.f().changesPerSecond()
                    / empty.f().changesPerSecond(), 0.8, true, "x"));
        }
        long peak = rows.stream().filter(r -> r.target().equals("idbsync") || r.target().equals("idbsync+preload"))
                .mapToLong(Row::hwmBytes).max().orElse(-1);
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
            state = (met ? "MET    " : "NOT MET") + " (" + String.format(Locale.ROOT, unit.equals("x") ? "%.3f" : "%.1f",
                    measured) + (unit.equals("x") ? "x" : unit) + ")";
        }
        return String.format(Locale.ROOT, "  %-52s %s", what, state);
    }

    /** The CSV: a header, then a row per target and shape. */
    List<String> csv() {
        List<String> c = new ArrayList<>();
        c.add("run,target,clients,changes_per_request,value_bytes,keys,warmup_s,seconds,requests,changes,changes_per_s,"
                + "p50_ms,p90_ms,p99_ms,max_ms,peak_rss_mib,vmhwm_mib,target_cpu_cores,bench_cpu_cores,unavailable_503,"
                + "io_errors,wrong_answers,conflicts,ratio_vs_same_work,ratio_vs_flume,answers_ok,loadavg_before,first_problem");
        for (Row r : rows) {
            LoadDriver.Figures f = r.f();
            c.add(String.join(",", stamp, r.target(), Integer.toString(r.shape().clients()),
                    Integer.toString(r.shape().changes()), Integer.toString(o.valueBytes), Integer.toString(o.keys),
                    Integer.toString(r.warmupSeconds()), Integer.toString(o.seconds), Long.toString(f.requests()),
                    Long.toString(f.changes()), num(f.changesPerSecond(), 1), num(f.p50Ms(), 2), num(f.p90Ms(), 2),
                    num(f.p99Ms(), 2), num(f.maxMs(), 2), mibNum(r.peakRssBytes()), mibNum(r.hwmBytes()),
                    num(r.targetCores(), 2), num(r.benchCores(), 2), Long.toString(f.unavailable()),
                    Long.toString(f.ioErrors()), Long.toString(f.wrong()), Long.toString(f.conflicts()),
                    num(ratio(r, "same-work"), 3), num(ratio(r, "flume"), 3), Boolean.toString(f.ok()),
                    quote(r.loadAvg()), quote(f.firstProblem() == null ? "" : f.firstProblem())));
        }
        return c;
    }

    /** The .txt report: the command, the machine, the table, the verdicts, and the failures if any. */
    List<String> text(Machine m, List<String> table, List<String> verdicts) {
        List<String> report = new ArrayList<>();
        report.add("idbsync benchmark " + stamp);
        report.add("command: ./bench/run " + String.join(" ", o.commandLine()));
        report.addAll(m.lines());
        report.add("");
        report.addAll(table);
        report.add("");
        report.addAll(verdicts);
        if (!threads.isEmpty()) {
            report.add("");
            report.add("threads (--threads): each thread's CPU (utime + stime from /proc) over the measured window, in cores;"
                    + " a pool's threads summed under its name with digits as #");
            threads.forEach((what, lines) -> {
                report.add("  " + what + ": " + lines.get(0).trim());
                lines.subList(1, lines.size()).forEach(l -> report.add("    " + l));
            });
        }
        if (!failures.isEmpty()) {
            report.add("");
            report.add("FAILURES:");
            report.addAll(failures);
        }
        return report;
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
}
