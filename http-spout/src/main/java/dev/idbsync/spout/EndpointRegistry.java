package dev.idbsync.spout;

import dev.idbsync.ignite.Endpoints;
import dev.idbsync.ignite.Endpoints.Endpoint;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one spout task's endpoint in Ignite ({@link Endpoints}): written once the listener is up,
 * rewritten every {@link Endpoints#HEARTBEAT_MS} on a daemon thread of its own, removed on close.
 * A failed write never touches pushes (its own thread, its own try) and is logged at WARN at most
 * once a minute, since an Ignite outage would otherwise log every 5 s per task.
 */
final class EndpointRegistry implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EndpointRegistry.class);
    static final long WARN_EVERY_MS = 60_000;

    private final Endpoints endpoints;
    private final String topology;
    private final LongSupplier clock;
    private final Endpoint self;
    private ScheduledExecutorService timer;
    private long lastWarnMs = Long.MIN_VALUE;

    EndpointRegistry(Endpoints endpoints, String topology, Endpoint self, LongSupplier clock) {
        this.endpoints = endpoints;
        this.topology = topology;
        this.self = self;
        this.clock = clock;
    }

    void start() {
        timer = Executors.newSingleThreadScheduledExecutor(OpenPushes.daemon("idbsync-endpoint-heartbeat"));
        timer.scheduleWithFixedDelay(this::beat, 0, Endpoints.HEARTBEAT_MS, TimeUnit.MILLISECONDS);
        LOG.info("registering {}://{} as {} every {} ms", self.scheme(), self.hostPort(),
                Endpoints.key(topology, self.taskIndex()), Endpoints.HEARTBEAT_MS);
    }

    /** Writes the entry with a fresh heartbeat; true when it was written. */
    boolean beat() {
        long now = clock.getAsLong();
        try {
            endpoints.put(topology, self.beat(now));
            return true;
        } catch (RuntimeException e) {
            if (lastWarnMs == Long.MIN_VALUE || now - lastWarnMs >= WARN_EVERY_MS) {
                lastWarnMs = now;
                LOG.warn("cannot write the heartbeat of {} to Ignite (a load balancer may drop this task"
                        + " in {} ms; pushes are not affected): {}", self.hostPort(), Endpoints.LIVE_MS, e.toString());
            }
            return false;
        }
    }

    /** Stops the heartbeat and removes the entry, so the list drops this task at once. */
    @Override
    public void close() {
        if (timer != null) {
            timer.shutdownNow();
            try {
                timer.awaitTermination(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            endpoints.remove(topology, self.taskIndex());
        } catch (RuntimeException e) {
            LOG.warn("cannot remove the endpoint of {} from Ignite; it drops out of the live list {} ms after"
                    + " its last heartbeat", self.hostPort(), Endpoints.LIVE_MS, e);
        }
    }
}
