package dev.idbsync.config;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/** How the topology is laid out on Storm. */
public final class TopologyConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String DEFAULT_NAME = "idbsync";
    /**
     * Tuples (changes) pending per spout task. 20,000 holds 20 requests of 1,000 changes, or
     * hundreds of small ones, which keeps 2 cores busy without letting queues grow unbounded.
     */
    public static final int DEFAULT_MAX_SPOUT_PENDING = 20_000;
    public static final int DEFAULT_MESSAGE_TIMEOUT_SECS = 30;
    /** Changes per Ignite transaction of the resolver; Ignite's throughput flattens above a few hundred. */
    public static final int DEFAULT_IGNITE_BATCH_SIZE = 500;

    private final String name;
    private final int workers;
    private final int spoutParallelism;
    private final int validateParallelism;
    private final int sequenceParallelism;
    private final int resolveParallelism;
    private final int flumeParallelism;
    private final int filesParallelism;
    private final int maxSpoutPending;
    private final int messageTimeoutSecs;
    /** The largest topology.igniteBatchSize: a resolver batch, and so a change-feed block, is never longer. */
    public static final int MAX_IGNITE_BATCH_SIZE = 100_000;
    private final int igniteBatchSize;
    private final Map<String, Object> stormConfig;

    private TopologyConfig(Builder b) {
        name = Check.notBlank("topology.name", b.name);
        if (!name.matches("[A-Za-z0-9_-]+")) {
            throw new IllegalArgumentException("topology.name: \"" + name + "\" is not allowed; use letters, digits, '_' and '-'");
        }
        workers = Check.range("topology.workers", b.workers, 1, 1000);
        spoutParallelism = Check.range("topology.spoutParallelism", b.spoutParallelism, 1, 1000);
        validateParallelism = Check.range("topology.validateParallelism", b.validateParallelism, 1, 1000);
        sequenceParallelism = Check.range("topology.sequenceParallelism", b.sequenceParallelism, 1, 1000);
        resolveParallelism = Check.range("topology.resolveParallelism", b.resolveParallelism, 1, 1000);
        flumeParallelism = Check.range("topology.flumeParallelism", b.flumeParallelism, 1, 1000);
        filesParallelism = Check.range("topology.filesParallelism", b.filesParallelism, 1, 1000);
        maxSpoutPending = Check.range("topology.maxSpoutPending", b.maxSpoutPending, 1, 10_000_000);
        messageTimeoutSecs = Check.range("topology.messageTimeoutSecs", b.messageTimeoutSecs, 1, 3600);
        igniteBatchSize = Check.range("topology.igniteBatchSize", b.igniteBatchSize, 1, MAX_IGNITE_BATCH_SIZE);
        stormConfig = Map.copyOf(b.stormConfig);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The {@code topology} section of the config file, {@code topology.storm} passed on unchecked. */
    static TopologyConfig fromYaml(Section s) {
        Builder b = builder();
        s.string("name", b::name);
        s.integer("workers", b::workers);
        s.integer("spoutParallelism", b::spoutParallelism);
        s.integer("validateParallelism", b::validateParallelism);
        s.integer("sequenceParallelism", b::sequenceParallelism);
        s.integer("resolveParallelism", b::resolveParallelism);
        s.integer("flumeParallelism", b::flumeParallelism);
        s.integer("filesParallelism", b::filesParallelism);
        s.integer("maxSpoutPending", b::maxSpoutPending);
        s.integer("messageTimeoutSecs", b::messageTimeoutSecs);
        s.integer("igniteBatchSize", b::igniteBatchSize);
        Map<String, Object> storm = s.passThrough("storm", "Storm settings");
        if (storm != null) {
            b.stormConfig(storm);
        }
        s.finish();
        return b.build();
    }

    public Builder toBuilder() {
        return new Builder().name(name).workers(workers).spoutParallelism(spoutParallelism)
                .validateParallelism(validateParallelism).sequenceParallelism(sequenceParallelism).resolveParallelism(resolveParallelism).flumeParallelism(flumeParallelism).filesParallelism(filesParallelism)
                .maxSpoutPending(maxSpoutPending).messageTimeoutSecs(messageTimeoutSecs)
                .igniteBatchSize(igniteBatchSize).stormConfig(stormConfig);
    }

    public String name() {
        return name;
    }

    public int workers() {
        return workers;
    }

    public int spoutParallelism() {
        return spoutParallelism;
    }

    public int validateParallelism() {
        return validateParallelism;
    }

    /** Tasks of the sequencer, which keeps each client's changes in seq order. */
    public int sequenceParallelism() {
        return sequenceParallelism;
    }

    /** Tasks of the resolver, which settles conflicts and writes records and outcomes to Ignite. */
    public int resolveParallelism() {
        return resolveParallelism;
    }

    /** Tasks of the Flume bridge. */
    public int flumeParallelism() {
        return flumeParallelism;
    }

    /** Tasks of the file sink; each writes files of its own. */
    public int filesParallelism() {
        return filesParallelism;
    }

    public int maxSpoutPending() {
        return maxSpoutPending;
    }

    public int messageTimeoutSecs() {
        return messageTimeoutSecs;
    }

    public int igniteBatchSize() {
        return igniteBatchSize;
    }

    /** Extra Storm settings passed to the topology as they are (e.g. topology.worker.childopts). */
    public Map<String, Object> stormConfig() {
        return stormConfig;
    }

    public static final class Builder {
        private String name = DEFAULT_NAME;
        private int workers = 1;
        private int spoutParallelism = 1;
        private int validateParallelism = 1;
        private int sequenceParallelism = 1;
        private int resolveParallelism = 1;
        private int flumeParallelism = 1;
        private int filesParallelism = 1;
        private int maxSpoutPending = DEFAULT_MAX_SPOUT_PENDING;
        private int messageTimeoutSecs = DEFAULT_MESSAGE_TIMEOUT_SECS;
        private int igniteBatchSize = DEFAULT_IGNITE_BATCH_SIZE;
        private Map<String, Object> stormConfig = new LinkedHashMap<>();

        public Builder name(String v) {
            name = v;
            return this;
        }

        public Builder workers(int v) {
            workers = v;
            return this;
        }

        public Builder spoutParallelism(int v) {
            spoutParallelism = v;
            return this;
        }

        public Builder validateParallelism(int v) {
            validateParallelism = v;
            return this;
        }

        public Builder sequenceParallelism(int v) {
            sequenceParallelism = v;
            return this;
        }

        public Builder resolveParallelism(int v) {
            resolveParallelism = v;
            return this;
        }

        public Builder flumeParallelism(int v) {
            flumeParallelism = v;
            return this;
        }

        public Builder filesParallelism(int v) {
            filesParallelism = v;
            return this;
        }

        public Builder maxSpoutPending(int v) {
            maxSpoutPending = v;
            return this;
        }

        public Builder messageTimeoutSecs(int v) {
            messageTimeoutSecs = v;
            return this;
        }

        public Builder igniteBatchSize(int v) {
            igniteBatchSize = v;
            return this;
        }

        public Builder stormConfig(Map<String, Object> v) {
            stormConfig = new LinkedHashMap<>(v);
            return this;
        }

        public TopologyConfig build() {
            return new TopologyConfig(this);
        }
    }
}
