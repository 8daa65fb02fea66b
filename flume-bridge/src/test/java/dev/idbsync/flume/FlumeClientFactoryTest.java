package dev.idbsync.flume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.idbsync.config.FlumeConfig;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The SDK client settings for one agent, failover and load balancing (docs/flume.md). */
class FlumeClientFactoryTest {

    @Test
    void oneAgentGetsThePlainAvroClient() {
        Properties p = FlumeClientFactory.properties(config(List.of("10.0.0.1:41414"), FlumeConfig.Selector.FAILOVER));
        assertEquals("default", p.getProperty("client.type"));
        assertEquals("a1", p.getProperty("hosts"));
        assertEquals("10.0.0.1:41414", p.getProperty("hosts.a1"));
        assertEquals("250", p.getProperty("batch-size"));
        assertEquals("3000", p.getProperty("connect-timeout"));
        assertEquals("4000", p.getProperty("request-timeout"));
        assertNull(p.getProperty("max-attempts"));
    }

    @Test
    void failoverTriesEveryAgentOnceInTheConfiguredOrder() {
        Properties p = FlumeClientFactory.properties(config(List.of("h1:1", "h2:2", "h3:3"), FlumeConfig.Selector.FAILOVER));
        assertEquals("default_failover", p.getProperty("client.type"));
        assertEquals("a1 a2 a3", p.getProperty("hosts"));
        assertEquals("h3:3", p.getProperty("hosts.a3"));
        assertEquals("3", p.getProperty("max-attempts"));
        assertNull(p.getProperty("host-selector"));
    }

    @Test
    void loadBalancingGoesRoundRobinAndBacksOffFromAFailedAgent() {
        Properties p = FlumeClientFactory.properties(config(List.of("h1:1", "h2:2"), FlumeConfig.Selector.LOAD_BALANCE));
        assertEquals("default_loadbalance", p.getProperty("client.type"));
        assertEquals("round_robin", p.getProperty("host-selector"));
        assertEquals("true", p.getProperty("backoff"));
        assertEquals("5000", p.getProperty("maxBackoff"));
        assertNull(p.getProperty("max-attempts"));
    }

    private static FlumeConfig config(List<String> agents, FlumeConfig.Selector selector) {
        return FlumeConfig.builder().enabled(true).agents(agents).selector(selector).batchSize(250)
                .connectTimeoutMs(3000).requestTimeoutMs(4000).maxBackoffMs(5000).build();
    }
}
