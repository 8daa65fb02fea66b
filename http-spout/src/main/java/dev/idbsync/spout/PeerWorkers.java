package dev.idbsync.spout;

import dev.idbsync.health.SinkProbe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.storm.generated.NodeInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the topology's other workers are up, checked by connecting to each one's messaging
 * port (its Supervisor slot) every {@value #INTERVAL_MS} ms on a daemon thread, and, once a worker
 * that was lost accepts connections again, by a probe tuple the spout sends to one of its tasks.
 *
 * <p>Why: Storm drops every message it sends to a worker it is not connected to (a worker that
 * was killed and whose replacement has not started yet) and tells nobody; the spout learns of
 * the loss only from the message timeout. While a worker is down, the spout therefore emits
 * nothing (its pushes wait in its queue, answered 503 at their deadline if the worker is not back
 * by then) instead of sending changes that would be dropped, and {@code GET /health} answers 503
 * naming the worker ({@link #probe()}).
 *
 * <p>A worker that accepts connections again is not up yet for this worker's own sends: Storm's
 * client to it reconnects only when something is sent to it (or every 30 s), and drops what
 * triggered the reconnect. So the spout sends it a probe (an anchored tuple on the direct
 * {@code probe} stream, to one of the worker's tasks; {@link #toProbe()}), again every
 * {@value #PROBE_EVERY_MS} ms while none came back, and the worker counts as up when one is acked
 * ({@link #confirm}): the connection works and an executor there runs. A worker none of whose
 * tasks takes probes counts as up once its port has accepted connections for {@code graceMs}.
 * docs/operations.md, "After a worker is lost".
 *
 * <p>Only on a real cluster: in a {@code LocalCluster} workers exchange tuples in memory and their
 * ports are not listened on.
 */
final class PeerWorkers implements AutoCloseable {
    static final long INTERVAL_MS = 250;
    /** How often a worker that accepts connections again but has not acked a probe is sent another. */
    static final long PROBE_EVERY_MS = 250;
    /** Generous: a worker that is up answers a connect in milliseconds; a false "down" pauses the spout. */
    static final int CONNECT_TIMEOUT_MS = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(PeerWorkers.class);
    static final String REFUSES = "refuses connections";
    static final String STARTING = "is starting (accepts connections, not confirmed up yet)";

    /** host:port of a worker. */
    record Address(String host, int port) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    /** Connects to a worker's port; false when it refuses or does not answer in time. */
    interface Reachability {
        boolean accepts(Address a);
    }

    /** A probe to send: to {@code task} on {@code worker}, for its recovery number {@code round}. */
    record Probe(Address worker, int task, long round) {
    }

    /** A worker that refused: since when it accepts again ({@link #NOT_YET}: not yet), and the number of this recovery. */
    private record Recovering(long acceptingSince, long round) {
        boolean accepting() {
            return acceptingSince != NOT_YET;
        }
    }

    private static final long NOT_YET = Long.MIN_VALUE;

    private final Supplier<Map<Address, Set<Integer>>> peers;
    private final Set<Integer> probeable;
    private final Reachability reachability;
    private final long graceMs;
    private final LongSupplier clock;
    private final Map<Address, Recovering> recovering = new ConcurrentHashMap<>();
    /** Recoveries whose probe was acked (see {@link #confirm}), by worker. */
    private final Map<Address, Long> confirmed = new ConcurrentHashMap<>();
    private final AtomicLong rounds = new AtomicLong();
    /** The workers down now, with why (for /health); empty when all are up. */
    private volatile Map<Address, String> down = Map.of();
    private ScheduledExecutorService scheduler;

    /**
     * @param peers the other workers of the topology now, with their tasks (Storm updates the assignment)
     * @param probeable the tasks that take probes (the components subscribed to the probe stream)
     * @param graceMs for a worker with no such task: how long it must accept again before it counts as up
     */
    PeerWorkers(Supplier<Map<Address, Set<Integer>>> peers, Set<Integer> probeable, Reachability reachability, long graceMs,
                LongSupplier clock) {
        this.peers = peers;
        this.probeable = Set.copyOf(probeable);
        this.reachability = reachability;
        this.graceMs = graceMs;
        this.clock = clock;
    }

    /**
     * The workers of an assignment (task to node and port, node to host) other than
     * {@code selfNode:selfPort}, with the tasks of each.
     */
    static Map<Address, Set<Integer>> others(Map<Integer, NodeInfo> taskToNodePort, Map<String, String> nodeToHost, String selfNode,
                                             int selfPort) {
        Map<Address, Set<Integer>> out = new HashMap<>();
        if (taskToNodePort == null || nodeToHost == null) {
            return out;
        }
        for (Map.Entry<Integer, NodeInfo> e : taskToNodePort.entrySet()) {
            NodeInfo n = e.getValue();
            for (Long port : n.get_port()) {
                String host = nodeToHost.get(n.get_node());
                if (host != null && !(n.get_node().equals(selfNode) && port.intValue() == selfPort)) {
                    out.computeIfAbsent(new Address(host, port.intValue()), k -> new TreeSet<>()).add(e.getKey());
                }
            }
        }
        return out;
    }

    static boolean tcpConnect(Address a) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(a.host(), a.port()), CONNECT_TIMEOUT_MS);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    void start() {
        scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "idbsync-peer-workers");
            t.setDaemon(true);
            return t;
        });
        scheduler.scheduleWithFixedDelay(this::check, 0, INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /** One round: every peer is tried; the ones that refused, or are not confirmed up yet, are the new {@link #down()}. */
    synchronized void check() {
        try {
            // worker -> why it is down, for /health
            Map<Address, String> now = new TreeMap<>((x, y) -> x.toString().compareTo(y.toString()));
            long t = clock.getAsLong();
            Map<Address, Set<Integer>> current = peers.get();
            recovering.keySet().retainAll(current.keySet());
            confirmed.keySet().retainAll(current.keySet());
            for (Map.Entry<Address, Set<Integer>> e : current.entrySet()) {
                Address a = e.getKey();
                Recovering r = recovering.get(a);
                if (!reachability.accepts(a)) {
                    now.put(a, REFUSES);
                    if (r == null || r.accepting()) {
                        recovering.put(a, new Recovering(NOT_YET, rounds.incrementAndGet()));
                    }
                } else if (r != null) {
                    if (!r.accepting()) {
                        recovering.put(a, new Recovering(t, r.round()));
                        now.put(a, STARTING);
                    } else if (Long.valueOf(r.round()).equals(confirmed.get(a))
                            || (probeTarget(e.getValue()) < 0 && t - r.acceptingSince() >= graceMs)) {
                        recovering.remove(a);
                    } else {
                        now.put(a, STARTING);
                    }
                }
            }
            if (!now.equals(down)) {
                if (now.isEmpty()) {
                    LOG.info("every other worker is up again; emitting");
                } else {
                    LOG.warn("worker(s) {}: holding pushes until they are up, GET /health answers 503", now);
                }
            }
            down = Collections.unmodifiableMap(now);
        } catch (RuntimeException e) {
            LOG.warn("checking the other workers failed: {}", e.toString());
        }
    }

    /** A task of {@code tasks} that takes probes, or -1. */
    private int probeTarget(Set<Integer> tasks) {
        for (int task : tasks) {
            if (probeable.contains(task)) {
                return task;
            }
        }
        return -1;
    }

    /** The probes to send now: one per worker that accepts connections again and has a task that takes them. */
    List<Probe> toProbe() {
        List<Probe> out = new ArrayList<>();
        Map<Address, Set<Integer>> current = peers.get();
        recovering.forEach((a, r) -> {
            Set<Integer> tasks = current.get(a);
            int task = tasks == null ? -1 : probeTarget(tasks);
            if (r.accepting() && task >= 0 && !Long.valueOf(r.round()).equals(confirmed.get(a))) {
                out.add(new Probe(a, task, r.round()));
            }
        });
        return out;
    }

    /** A probe was acked: its worker is up, unless it refused again since it was sent. Any thread. */
    void confirm(Probe p) {
        Recovering r = recovering.get(p.worker());
        if (r != null && r.round() == p.round()) {
            confirmed.put(p.worker(), p.round());
            LOG.info("worker {} acked a probe to task {}: Storm's connection to it works", p.worker(), p.task());
            if (scheduler != null) {
                scheduler.execute(this::check);
            }
        }
    }

    /** The workers that refused the latest connection or are not confirmed up yet; empty when all are up. */
    Set<Address> down() {
        return down.keySet();
    }

    boolean allUp() {
        return down.isEmpty();
    }

    /** For {@code GET /health}: fails, naming the workers, while any is down. Never serialized: made in the spout's open. */
    SinkProbe probe() {
        return new SinkProbe() {
            private static final long serialVersionUID = 1L;

            @Override
            public String name() {
                return "workers";
            }

            @Override
            public void check() {
                Map<Address, String> d = down;
                if (!d.isEmpty()) {
                    List<String> names = new ArrayList<>();
                    d.forEach((a, why) -> names.add("worker " + a + " " + why));
                    throw new IllegalStateException(String.join(", ", names));
                }
            }
        };
    }

    @Override
    public void close() {
        if (scheduler != null) {
            scheduler.shutdownNow();
        }
    }
}
