package dev.idbsync.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * One target the benchmark started: a child process (the local run, or a reference started from
 * this benchmark's own jar), its console in a log file, and a sampler that reads the java
 * process's memory (VmRSS, VmHWM) and CPU time from /proc every 200 ms.
 */
final class TargetProcess implements AutoCloseable {
    private final String name;
    private final Process process;
    private final Path console;
    private final CountDownLatch ready = new CountDownLatch(1);
    private final Samples samples = new Samples();
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
        sampler = samples.start("sampler-" + name, this::javaPid, () -> !stopping && process.isAlive());
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

    /** The java process: the child itself, or (./run-local before its exec) a java descendant; -1 when none yet. */
    long javaPid() {
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

    /** Its memory and CPU time, sampled every 200 ms while it runs. */
    Samples samples() {
        return samples;
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
