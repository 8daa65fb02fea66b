package dev.idbsync.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * The benchmark (docs/performance.md). {@code ./bench/run [options]} starts, one at a time, the
 * local run ({@code ./run-local}, every sink on) and three references, drives the same
 * closed-loop load at each for every load shape, checks every answer, and prints and writes
 * (bench/results/TIMESTAMP.csv) changes acknowledged per second, push latency percentiles, peak
 * RSS and CPU, with the ratios to the same-work reference and to the durable Flume agent.
 *
 * <p>{@code Bench serve <same-work|flume|bare> --port P ...} is how the benchmark starts a
 * reference: a child JVM of its own, like the local run, so that each target is measured alone.
 *
 * <p>The pieces: {@link BenchOptions} (the command line), {@link BenchRun} (the run),
 * {@link TargetRun} (one target, each shape), {@link LoadDriver} (the closed-loop load of one
 * shape), {@link BenchReport} (the lines, the table, the verdicts, the CSV), {@link TargetProcess}
 * and {@link Samples} (a target's process, its memory and CPU), and the references
 * ({@link SameWorkServer}, {@link FlumeAgentServer}, {@link BareServer}).
 */
public final class Bench {
    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("serve")) {
            serve(args);
            return;
        }
        System.exit(new BenchRun(BenchOptions.parse(args)).run());
    }

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
}
