package dev.idbsync.config;

import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The Flume bridge: which agents every resolved change is sent to, and how. The bridge uses the
 * Flume SDK's RPC client (Avro): {@link Selector#FAILOVER} sends to the first agent that is up,
 * {@link Selector#LOAD_BALANCE} spreads batches over all of them, backing off from one that fails.
 * A batch's tuples are acked only after {@code appendBatch} returned, that is after an agent's
 * channel committed the events; delivery is at least once, with a stable {@code eventId} header.
 */
public final class FlumeConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public enum Selector { FAILOVER, LOAD_BALANCE }

    /** Flume's own default Avro source port. */
    public static final String DEFAULT_AGENT = "127.0.0.1:41414";
    /** Events per appendBatch: an agent commits them in one channel transaction. */
    public static final int DEFAULT_BATCH_SIZE = 100;
    public static final int DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
    /** Well under Storm's message timeout, so that a stuck agent fails the batch, not the tuple tree. */
    public static final int DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
    public static final int DEFAULT_MAX_BACKOFF_MS = 30_000;

    private final boolean enabled;
    private final List<String> agents;
    private final Selector selector;
    private final int batchSize;
    private final int connectTimeoutMs;
    private final int requestTimeoutMs;
    private final int maxBackoffMs;
    private final String embeddedAgentConfig;

    private FlumeConfig(Builder b) {
        enabled = b.enabled;
        if (enabled && (b.agents == null || b.agents.isEmpty())) {
            throw new IllegalArgumentException("flume.agents: [] is not allowed; list at least one host:port of an agent's"
                    + " Avro source (or set flume.enabled: false)");
        }
        List<String> given = b.agents == null ? List.of() : b.agents;
        for (String a : given) {
            Check.address("flume.agents", a);
        }
        agents = List.copyOf(given);
        selector = b.selector;
        batchSize = Check.range("flume.batchSize", b.batchSize, 1, 100_000);
        // The Flume SDK replaces a timeout under 1000 ms by its default of 20 s.
        connectTimeoutMs = Check.range("flume.connectTimeoutMs", b.connectTimeoutMs, 1000, 600_000);
        requestTimeoutMs = Check.range("flume.requestTimeoutMs", b.requestTimeoutMs, 1000, 600_000);
        maxBackoffMs = Check.range("flume.maxBackoffMs", b.maxBackoffMs, 0, 3_600_000);
        embeddedAgentConfig = b.embeddedAgentConfig;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The {@code flume} section of the config file; {@code embeddedAgent} must name a file. */
    static FlumeConfig fromYaml(Section s) {
        Builder b = builder();
        s.bool("enabled", b::enabled);
        s.strings("agents", "a list of host:port strings", "host:port strings", b::agents);
        s.choice("selector", Map.of("failover", Selector.FAILOVER, "load_balance", Selector.LOAD_BALANCE),
                "failover or load_balance", b::selector);
        s.integer("batchSize", b::batchSize);
        s.integer("connectTimeoutMs", b::connectTimeoutMs);
        s.integer("requestTimeoutMs", b::requestTimeoutMs);
        s.integer("maxBackoffMs", b::maxBackoffMs);
        String agent = s.string("embeddedAgent");
        s.finish();
        if (agent != null) {
            Path p = s.resolve(agent);
            if (!Files.isRegularFile(p)) {
                throw new IllegalArgumentException(s.key("embeddedAgent") + ": \"" + agent + "\" cannot be read (looked for "
                        + p.toAbsolutePath() + "); give an agent properties file relative to the config file");
            }
            b.embeddedAgentConfig(p.toAbsolutePath().toString());
        }
        return b.build();
    }

    public Builder toBuilder() {
        return new Builder().enabled(enabled).agents(agents).selector(selector).batchSize(batchSize)
                .connectTimeoutMs(connectTimeoutMs).requestTimeoutMs(requestTimeoutMs).maxBackoffMs(maxBackoffMs)
                .embeddedAgentConfig(embeddedAgentConfig);
    }

    public boolean enabled() {
        return enabled;
    }

    /** host:port of each agent's Avro source, in failover order. */
    public List<String> agents() {
        return agents;
    }

    public Selector selector() {
        return selector;
    }

    public int batchSize() {
        return batchSize;
    }

    public int connectTimeoutMs() {
        return connectTimeoutMs;
    }

    public int requestTimeoutMs() {
        return requestTimeoutMs;
    }

    /** Longest back-off from a failed agent under load balancing. */
    public int maxBackoffMs() {
        return maxBackoffMs;
    }

    /**
     * The local run only: the properties file of an agent to start in-process (absolute path),
     * its Avro source on the first of {@link #agents()}; null when the agents run elsewhere.
     */
    public String embeddedAgentConfig() {
        return embeddedAgentConfig;
    }

    public static final class Builder {
        private boolean enabled = false;
        private List<String> agents = List.of(DEFAULT_AGENT);
        private Selector selector = Selector.FAILOVER;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private int connectTimeoutMs = DEFAULT_CONNECT_TIMEOUT_MS;
        private int requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
        private int maxBackoffMs = DEFAULT_MAX_BACKOFF_MS;
        private String embeddedAgentConfig;

        public Builder enabled(boolean v) {
            enabled = v;
            return this;
        }

        public Builder agents(List<String> v) {
            agents = v;
            return this;
        }

        public Builder selector(Selector v) {
            selector = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder connectTimeoutMs(int v) {
            connectTimeoutMs = v;
            return this;
        }

        public Builder requestTimeoutMs(int v) {
            requestTimeoutMs = v;
            return this;
        }

        public Builder maxBackoffMs(int v) {
            maxBackoffMs = v;
            return this;
        }

        public Builder embeddedAgentConfig(String v) {
            embeddedAgentConfig = v;
            return this;
        }

        public FlumeConfig build() {
            return new FlumeConfig(this);
        }
    }
}
