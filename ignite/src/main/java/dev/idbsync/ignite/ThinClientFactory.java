package dev.idbsync.ignite;

import dev.idbsync.config.IgniteConfig;
import org.apache.ignite.Ignition;
import org.apache.ignite.client.ClientRetryAllPolicy;
import org.apache.ignite.client.IgniteClient;
import org.apache.ignite.configuration.ClientConfiguration;

/** The real factory: a thin client to the addresses of {@link IgniteConfig}. */
public final class ThinClientFactory implements IgniteClientFactory {
    private static final long serialVersionUID = 1L;

    private final IgniteConfig config;

    public ThinClientFactory(IgniteConfig config) {
        this.config = config;
    }

    @Override
    public IgniteClient create() {
        ClientConfiguration cc = new ClientConfiguration()
                .setAddresses(config.addresses().toArray(String[]::new))
                .setTimeout(config.clientTimeoutMs())
                // Reads and writes here are idempotent (same key, same value), so a retry after a
                // lost connection is safe; it lets the client ride over a node restart.
                .setRetryPolicy(new ClientRetryAllPolicy())
                .setLogger(new Slf4jIgniteLogger(ThinClientFactory.class));
        return Ignition.startClient(cc);
    }
}
