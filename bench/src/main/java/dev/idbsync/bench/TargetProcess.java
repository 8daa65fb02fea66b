package dev.idbsync.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One target the benchmark started: a child process (the local run, or a reference started from
 * this benchmark's own jar), its console in a log file, and a sampler that reads the java
 * process's memory (VmRSS, VmHWM) and CPU time from /proc every 200 ms.
 */
final class TargetProcess implements AutoCloseable {
    /** One sample: when, resident and peak resident bytes, CPU ticks (user + system) so far. */
    record Sample(long nanos, long rssBytes, long hwmBytes, long cpuTicks) {
    }

    static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux

    private final String name;
    private final Process process;
    private final Path console;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final List<Sample> samples = new ArrayList<>();
    private final Thread sampler;
    private volatile String readyLine;
    private volatile boolean stopping;

    TargetProcess(String name, List<String> command, java.util.Map<String, String> env, Path workDir, Path console)
            throws IOException {
        this.name = name;
        this.console = console;
        Files.createDirectories(console.getParent());
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        process = pb.start();
        Thread reader = new Thread(this::copyConsole, "console-" + name);
        reader.setDaemon(true);
        reader.start();
        sampler = new Thread(this::sample, "sampler-" + name);
        sampler.setDaemon(true);
        sampler.start();
    }

    private void copyConsole() {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
             PrintWriter w = new PrintWriter(Files.newBufferedWriter(console, StandardCharsets.UTF_8), true)) {
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                w.println(line);
                if (readyLine == null && line.contains("ready on")) {
                    readyLine = line;
                    ready.countDown();
                }
            }
        } catch (IOException e) {
            // the process ended
        }
    }

    /** Waits for the target's "ready on" line; false when it ended or took too long. */
    boolean awaitReady(long timeoutSeconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        while (System.nanoTime() < deadline) {
            if (ready.await(500, TimeUnit.MILLISECONDS)) {
                return true;
            }
            if (!process.isAlive()) {
                return false;
            }
        }
        return false;
    }

    Path console() {
        return console;
    }

    String lastConsoleLines(int n) {
        try {
            List<String> all = Files.readAllLines(console, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - n), all.size()));
        } catch (IOException e) {
            return "(no console: " + e + ")";
        }
    }

    /** The java process: the child itself, or (./run-local before its exec) a java descendant. */
    private long javaPid() {
        long pid = process.pid();
        if (isJava(pid)) {
            return pid;
        }
        return process.descendants().filter(h -> isJava(h.pid())).mapToLong(ProcessHandle::pid).findFirst().orElse(-1);
    }

    private static boolean isJava(long pid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/comm")).trim().equals("java");
        } catch (IOException e) {
            return false;
        }
    }

    private void sample() {
        while (!stopping && process.isAlive()) {
            long pid = javaPid();
            if (pid > 0) {
                Sample s = read(pid);
                if (s != null) {
                    synchronized (samples) {
                        samples.add(s);
                    }
                }
            }
            try {
                Thread.sleep(200);
            } catch (InterruptedException e) {
                return;
            }
        }
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

    /** Cores the target used on average between two instants: CPU seconds per second. */
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

    boolean alive() {
        return process.isAlive();
    }

    /** SIGTERM (both the local run and the references stop cleanly on it), then SIGKILL after a minute. */
    @Override
    public void close() {
        stopping = true;
        // ./run-local may still be building (Maven as its child) if it was stopped early
        List<ProcessHandle> children = process.descendants().toList();
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.descendants().forEach(ProcessHandle::destroyForcibly);
                    process.destroyForcibly();
                    process.waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        children.stream().filter(ProcessHandle::isAlive).forEach(ProcessHandle::destroy);
        sampler.interrupt();
    }

    String name() {
        return name;
    }
}
