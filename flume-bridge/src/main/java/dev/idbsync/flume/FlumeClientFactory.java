package dev.idbsync.flume;

import dev.idbsync.config.FlumeConfig;
import java.io.Serializable;
import java.util.Properties;
import org.apache.flume.api.RpcClient;
import org.apache.flume.api.RpcClientConfigurationConstants;
import org.apache.flume.api.RpcClientFactory;

/**
 * Makes the Flume SDK's RPC client the bridge sends with: a plain Avro client for one agent,
 * the failover or the load-balancing client for several. Tests hand the bolt a factory of their own.
 */
public class FlumeClientFactory implements Serializable {
    private static final long serialVersionUID = 1L;

    private final FlumeConfig config;

    public FlumeClientFactory(FlumeConfig config) {
        this.config = config;
    }

    public RpcClient create() {
        return RpcClientFactory.getInstance(properties(config));
    }

    /** The client settings, as the SDK documents them; logged once at start. */
    public static Properties properties(FlumeConfig config) {
        Properties p = new Properties();
        StringBuilder hosts = new StringBuilder();
        for (int i = 0; i < config.agents().size(); i++) {
            String name = "a" + (i + 1);
            hosts.append(i == 0 ? "" : " ").append(name);
            p.setProperty(RpcClientConfigurationConstants.CONFIG_HOSTS_PREFIX + name, config.agents().get(i));
        }
        p.setProperty(RpcClientConfigurationConstants.CONFIG_HOSTS, hosts.toString());
        if (config.agents().size() == 1) {
            p.setProperty(RpcClientConfigurationConstants.CONFIG_CLIENT_TYPE, "default");
        } else if (config.selector() == FlumeConfig.Selector.FAILOVER) {
            p.setProperty(RpcClientConfigurationConstants.CONFIG_CLIENT_TYPE, "default_failover");
            // Each batch tries every agent once before the batch fails (and its push gets 503).
            p.setProperty(RpcClientConfigurationConstants.CONFIG_MAX_ATTEMPTS, Integer.toString(config.agents().size()));
        } else {
            p.setProperty(RpcClientConfigurationConstants.CONFIG_CLIENT_TYPE, "default_loadbalance");
            p.setProperty(RpcClientConfigurationConstants.CONFIG_HOST_SELECTOR, "round_robin");
            p.setProperty(RpcClientConfigurationConstants.CONFIG_BACKOFF, "true");
            p.setProperty(RpcClientConfigurationConstants.CONFIG_MAX_BACKOFF, Integer.toString(config.maxBackoffMs()));
        }
        p.setProperty(RpcClientConfigurationConstants.CONFIG_BATCH_SIZE, Integer.toString(config.batchSize()));
        p.setProperty(RpcClientConfigurationConstants.CONFIG_CONNECT_TIMEOUT, Integer.toString(config.connectTimeoutMs()));
        p.setProperty(RpcClientConfigurationConstants.CONFIG_REQUEST_TIMEOUT, Integer.toString(config.requestTimeoutMs()));
        return p;
    }
}
