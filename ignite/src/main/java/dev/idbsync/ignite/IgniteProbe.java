package dev.idbsync.ignite;

import dev.idbsync.health.SinkProbe;
import org.apache.ignite.client.IgniteClient;

/**
 * Ignite answers a thin client: one cheap call ({@code cacheNames}) on a client of the probe's
 * own, so a health check never waits behind the spout's reads. A client whose call failed is
 * closed and made again at the next check.
 */
public final class IgniteProbe implements SinkProbe {
    private static final long serialVersionUID = 1L;

    private final IgniteClientFactory factory;
    private transient IgniteClient client;

    public IgniteProbe(IgniteClientFactory factory) {
        this.factory = factory;
    }

    @Override
    public String name() {
        return "ignite";
    }

    @Override
    public void check() {
        try {
            if (client == null) {
                client = factory.create();
            }
            client.cacheNames();
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    @Override
    public void close() {
        IgniteClient c = client;
        client = null;
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // closing a broken client: nothing more to do
            }
        }
    }
}
