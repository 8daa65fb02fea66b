package dev.idbsync.health;

import java.io.Serializable;

/**
 * A check of one sink, run by the spout's {@link HealthMonitor} on a thread of its own, so that
 * {@code GET /health} can tell a load balancer whether a push can complete now. Made at submit
 * time and serialized into the spout like its other settings; what it opens (a client, a file)
 * is opened in {@link #check()} and held in transient fields.
 */
public interface SinkProbe extends Serializable {
    /** The sink's name in the /health answer: {@code ignite}, {@code flume}, {@code files}. */
    String name();

    /**
     * Returns when the sink can take a write now; throws, with a short reason as its message,
     * when it cannot. May block: the monitor bounds it with its own timeout.
     */
    void check() throws Exception;

    /** Releases what {@link #check()} opened. */
    default void close() {
    }
}
