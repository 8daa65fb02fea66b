package dev.idbsync.spout;

import dev.idbsync.health.SinkProbe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.storm.generated.NodeInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the topology's other workers accept connections, checked by connecting to each one's
 * messaging port (its Supervisor slot) every {@value #INTERVAL_MS} ms on a daemon thread.
 *
 * <p>Why: Storm drops every message it sends to a worker it is not connected to (a worker that
 * was killed and whose replacement has not started yet) and tells nobody; the spout learns of
 * the loss only from the message timeout. While a worker is down, the spout therefore emits
 * nothing (its pushes wait in its queue, answered 503 at their deadline if the worker is not back
 * by then) instead of sending changes that would be dropped, and {@code GET /health} answers 503
 * naming the worker ({@link #probe()}). A worker counts as up again once its port has accepted
 * connections for {@code graceMs}: Storm's own client reconnects to it with a back-off of up to
 * {@code storm.messaging.netty.max_wait_ms} (1 s by default) and drops what it is given until
 * then; after that what reaches a worker still starting its executors waits in its receive queue.
 * docs/operations.md, "After a worker is lost".
 *
 * <p>Only on a real cluster: in a {@code LocalCluster} workers exchange tuples in memory and their
 * ports are not listened on.
 */
final class PeerWorkers implements AutoCloseable {
    static final long INTERVAL_MS = 250;
    /** Generous: a worker that is up answers a connect in milliseconds; a false "down" pauses the spout. */
    static final int CONNECT_TIMEOUT_MS = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(PeerWorkers.class);

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

    private final Supplier<Set<Address>> peers;
    private final Reachability reachability;
    private final long graceMs;
    private final LongSupplier clock;
    /** Workers that refused, and since when they have accepted again (absent: not yet). Checker thread only. */
    private final Map<Address, Long> recovering = new HashMap<>();
    private volatile Set<Address> down = Set.of();
    private ScheduledExecutorService scheduler;

    /**
     * @param peers the other workers of the topology now (Storm updates the assignment)
     * @param graceMs how long a worker that refused must accept again before it counts as up
     */
    PeerWorkers(Supplier<Set<Address>> peers, Reachability reachability, long graceMs, LongSupplier clock) {
        this.peers = peers;
        this.reachability = reachability;
        this.graceMs = graceMs;
        this.clock = clock;
    }

    /** The workers of an assignment (task to node and port, node to host) other than {@code selfNode:selfPort}. */
    static Set<Address> others(Map<Integer, NodeInfo> taskToNodePort, Map<String, String> nodeToHost, String selfNode, int selfPort) {
        Set<Address> out = new HashSet<>();
        if (taskToNodePort == null || nodeToHost == null) {
            return out;
        }
        for (NodeInfo n : taskToNodePort.values()) {
            for (Long port : n.get_port()) {
                String host = nodeToHost.get(n.get_node());
                if (host != null && !(n.get_node().equals(selfNode) && port.intValue() == selfPort)) {
                    out.add(new Address(host, port.intValue()));
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

    /** One round: every peer is tried; the ones that refused are the new {@link #down()}. */
    void check() {
        try {
            Set<Address> now = new TreeSet<>((x, y) -> x.toString().compareTo(y.toString()));
            long t = clock.getAsLong();
            Set<Address> current = peers.get();
            recovering.keySet().retainAll(current);
            for (Address a : current) {
                if (!reachability.accepts(a)) {
                    now.add(a);
                    recovering.put(a, null);
                } else if (recovering.containsKey(a)) {
                    Long since = recovering.get(a);
                    if (since == null) {
                        recovering.put(a, t);
                        now.add(a);
                    } else if (t - since < graceMs) {
                        now.add(a);
                    } else {
                        recovering.remove(a);
                    }
                }
            }
            if (!now.equals(down)) {
                if (now.isEmpty()) {
                    LOG.info("every other worker accepts connections again; emitting");
                } else {
                    LOG.warn("worker(s) {} refuse connections (lost, or starting): holding pushes until they are up,"
                            + " GET /health answers 503", now);
                }
            }
            down = Set.copyOf(now);
        } catch (RuntimeException e) {
            LOG.warn("checking the other workers failed: {}", e.toString());
        }
    }

    /** The workers that refused the latest connection; empty when all are up. */
    Set<Address> down() {
        return down;
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
                Set<Address> d = down;
                if (!d.isEmpty()) {
                    List<String> names = new ArrayList<>();
                    d.forEach(a -> names.add(a.toString()));
                    throw new IllegalStateException("worker " + String.join(", ", names) + " refuses connections");
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
