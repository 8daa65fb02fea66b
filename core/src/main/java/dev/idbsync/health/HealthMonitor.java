package dev.idbsync.health;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Json;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the spout's {@link SinkProbe}s on a schedule and keeps the latest result, so that
 * {@code GET /health} answers at once from memory and never waits on a sink. Each probe runs on
 * a thread of its own and is given {@link #CHECK_TIMEOUT_MS}: one that has not answered by then
 * counts as down (and is not started again until it returns), so a hung sink cannot hold the
 * others' results back. A result older than {@link #STALE_AFTER_MS} means the checks themselves
 * are stuck, which is reported as unavailable too.
 */
public final class HealthMonitor implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HealthMonitor.class);
    /** A round of checks every second: a load balancer learns of an outage within about two. */
    public static final long INTERVAL_MS = 1000;
    /** A check that takes longer is counted as down; a healthy sink answers in milliseconds. */
    public static final long CHECK_TIMEOUT_MS = 2000;
    /** Results older than this (several rounds missed) mean the checks are stuck. */
    public static final long STALE_AFTER_MS = 5000;

    /** One round's result: when it ended and, per sink, {@code "ok"} or why it is down. */
    public record Snapshot(long at, Map<String, String> sinks) {
        public boolean allOk() {
            return sinks.values().stream().allMatch("ok"::equals);
        }
    }

    /** What GET /health answers: its status (200 or 503) and JSON body. */
    public record Answer(int status, String body) {
    }

    private final List<SinkProbe> probes;
    private final LongSupplier clock;
    private final long timeoutMs;
    private final Map<String, ExecutorService> runners = new HashMap<>();
    private final Map<String, Future<?>> running = new HashMap<>();
    private final Map<String, String> lastLogged = new HashMap<>();
    private volatile Snapshot latest;
    private ScheduledExecutorService scheduler;

    public HealthMonitor(List<SinkProbe> probes, LongSupplier clock) {
        this(probes, clock, CHECK_TIMEOUT_MS);
    }

    HealthMonitor(List<SinkProbe> probes, LongSupplier clock, long timeoutMs) {
        this.probes = List.copyOf(probes);
        this.clock = clock;
        this.timeoutMs = timeoutMs;
        for (SinkProbe p : this.probes) {
            runners.put(p.name(), Executors.newSingleThreadExecutor(daemon("idbsync-health-" + p.name())));
        }
    }

    /** Starts the rounds: the first at once, then every {@link #INTERVAL_MS}. */
    public void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(daemon("idbsync-health"));
        scheduler.scheduleWithFixedDelay(this::round, 0, INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /** One round: every probe checked (or still running from before), within the timeout. */
    void round() {
        long start = System.nanoTime();
        for (SinkProbe p : probes) {
            Future<?> f = running.get(p.name());
            if (f == null || f.isDone()) {
                running.put(p.name(), runners.get(p.name()).submit(() -> {
                    p.check();
                    return null;
                }));
            }
        }
        Map<String, String> sinks = new LinkedHashMap<>();
        for (SinkProbe p : probes) {
            long left = timeoutMs - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            String state;
            try {
                running.get(p.name()).get(Math.max(0, left), TimeUnit.MILLISECONDS);
                state = "ok";
            } catch (TimeoutException e) {
                state = "no answer within " + timeoutMs + " ms";
            } catch (ExecutionException e) {
                state = reason(e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            sinks.put(p.name(), state);
            if (!state.equals(lastLogged.put(p.name(), state))) {
                if (state.equals("ok")) {
                    LOG.info("health: {} is ok", p.name());
                } else {
                    LOG.warn("health: {} is down: {}", p.name(), state);
                }
            }
        }
        latest = new Snapshot(clock.getAsLong(), sinks);
    }

    /** The latest round's result; null before the first round ended. */
    public Snapshot snapshot() {
        return latest;
    }

    /** GET /health's answer, from the latest result; never blocks. */
    public Answer answer(boolean active) {
        Snapshot s = latest;
        long now = clock.getAsLong();
        String reason = null;
        if (!active) {
            reason = "the topology is not active";
        } else if (s == null) {
            reason = "the health checks have not run yet";
        } else if (now - s.at() > STALE_AFTER_MS) {
            reason = "health checks stalled: the last one ended " + (now - s.at()) + " ms ago";
        } else if (!s.allOk()) {
            List<String> down = new ArrayList<>();
            s.sinks().forEach((name, state) -> {
                if (!state.equals("ok")) {
                    down.add(name + ": " + state);
                }
            });
            reason = String.join("; ", down);
        }
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("status", reason == null ? "ok" : "unavailable");
        if (reason != null) {
            body.put("reason", reason);
        }
        ObjectNode sinks = body.putObject("sinks");
        if (s != null) {
            s.sinks().forEach(sinks::put);
        }
        return new Answer(reason == null ? 200 : 503, body.toString());
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
        runners.values().forEach(ExecutorService::shutdownNow);
        for (SinkProbe p : probes) {
            try {
                p.close();
            } catch (RuntimeException e) {
                LOG.debug("closing the {} probe failed: {}", p.name(), e.toString());
            }
        }
    }

    /** A short, one-line reason: the exception's message, or its class when it has none. */
    static String reason(Throwable t) {
        String m = t.getMessage();
        String r = m == null || m.isBlank() ? t.getClass().getSimpleName() : m.strip().replaceAll("\\s+", " ");
        return r.length() > 200 ? r.substring(0, 200) + "..." : r;
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        return r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        };
    }
}
