package dev.idbsync.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * A process's memory (VmRSS, VmHWM) and CPU time, read from /proc every 200 ms: a target's
 * ({@link TargetProcess}), and the benchmark's own, so that the load generator's share shows.
 * Thread-safe.
 */
final class Samples {
    /** One sample: when, resident and peak resident bytes, CPU ticks (user + system) so far. */
    record Sample(long nanos, long rssBytes, long hwmBytes, long cpuTicks) {
    }

    static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux

    private final List<Sample> samples = new ArrayList<>();

    /**
     * Starts a daemon thread that samples the process {@code pid} names (nothing while it names
     * none: not positive) every 200 ms while {@code running} holds, until it is interrupted.
     */
    Thread start(String threadName, LongSupplier pid, BooleanSupplier running) {
        Thread thread = new Thread(() -> {
            while (running.getAsBoolean()) {
                long p = pid.getAsLong();
                Sample s = p > 0 ? read(p) : null;
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
        }, threadName);
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    static Sample read(long pid) {
        try {
            long rss = -1;
            long hwm = -1;
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kib(line) * 1024;
                } else if (line.startsWith("VmHWM:")) {
                    hwm = kib(line) * 1024;
                }
            }
            return new Sample(System.nanoTime(), rss, hwm, cpuTicks(pid));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** utime + stime of /proc/PID/stat (fields 14 and 15), in clock ticks. */
    static long cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        // after "pid (comm) ": field 3 (state) is f[0], so field 14 is f[11] and 15 is f[12]
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }

    private static long kib(String line) {
        String[] p = line.trim().split("\\s+");
        return Long.parseLong(p[1]);
    }

    /** The largest VmRSS sampled between two instants (System.nanoTime). */
    long peakRss(long from, long to) {
        long max = -1;
        synchronized (samples) {
            for (Sample s : samples) {
                if (s.nanos() >= from && s.nanos() <= to) {
                    max = Math.max(max, s.rssBytes());
                }
            }
        }
        return max;
    }

    /** The process's peak resident size so far (VmHWM of the last sample). */
    long highWaterMark() {
        synchronized (samples) {
            return samples.isEmpty() ? -1 : samples.get(samples.size() - 1).hwmBytes();
        }
    }

    /** Cores the process used on average between two instants: CPU seconds per second. */
    double cores(long from, long to) {
        Sample a = null;
        Sample b = null;
        synchronized (samples) {
            for (Sample s : samples) {
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
        return (b.cpuTicks() - a.cpuTicks()) / (double) TICKS_PER_SECOND / ((b.nanos() - a.nanos()) / 1e9);
    }
}
