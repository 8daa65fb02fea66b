package dev.idbsync.clusterit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * The processes of one cluster test: each started with its output in a log file of its own, and
 * all of them stopped by {@link #close()}, on success, on failure and (through a shutdown hook)
 * when the test JVM is stopped. Stopping kills each one's descendants first (the Supervisor's
 * workers are its children), then any process left whose command line names this test's own
 * directory (a worker the Supervisor started and that outlived it): nothing is matched by a broad
 * name, only what this run started.
 */
final class Processes implements AutoCloseable {
    private final List<Process> started = new ArrayList<>();
    private final String marker;
    private final Thread hook = new Thread(this::stopAll, "cluster-it-stop");

    /** @param marker a string every process of this run has on its command line (its work dir) */
    Processes(String marker) {
        this.marker = marker;
        Runtime.getRuntime().addShutdownHook(hook);
    }

    synchronized Process start(String name, List<String> command, Path log, Map<String, String> env) {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            started.add(p);
            System.out.println("[cluster-it] started " + name + " (pid " + p.pid() + "), log " + log);
            return p;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
    }

    /** Runs a command to its end (the submitter, `storm kill`), with a bound. */
    int run(String name, List<String> command, Path log, Map<String, String> env, Duration max) throws InterruptedException {
        Process p = start(name, command, log, env);
        if (!p.waitFor(max.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) {
            kill(p.toHandle());
            throw new AssertionError(name + " did not end within " + max + "; see " + log);
        }
        return p.exitValue();
    }

    /** Live processes of this run (workers included) whose command line matches. */
    List<ProcessHandle> find(Predicate<String> commandLine) {
        return ProcessHandle.allProcesses()
                .filter(ProcessHandle::isAlive)
                .filter(h -> {
                    Optional<String> cmd = h.info().commandLine();
                    return cmd.isPresent() && cmd.get().contains(marker) && commandLine.test(cmd.get());
                })
                .toList();
    }

    static void waitForPort(int port, Duration max, Process owner, String what) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (System.nanoTime() < end) {
            if (owner != null && !owner.isAlive()) {
                throw new AssertionError(what + " exited with " + owner.exitValue() + " before listening on " + port);
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(200);
            }
        }
        throw new AssertionError(what + " is not listening on " + port + " after " + max);
    }

    private static void kill(ProcessHandle h) {
        h.descendants().forEach(ProcessHandle::destroyForcibly);
        h.destroyForcibly();
    }

    private synchronized void stopAll() {
        for (int i = started.size() - 1; i >= 0; i--) {
            kill(started.get(i).toHandle());
        }
        // Workers whose Supervisor died before them are no longer its descendants.
        find(cmd -> true).forEach(ProcessHandle::destroyForcibly);
        for (Process p : started) {
            try {
                p.toHandle().onExit().get(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (Exception e) {
                // best effort: it was sent SIGKILL
            }
        }
    }

    @Override
    public void close() {
        stopAll();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down; the hook runs stopAll again, harmlessly
        }
    }
}
