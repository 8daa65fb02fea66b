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
    /**
     * Tuples a spout task emits per {@code nextTuple} call: Storm's executor thread also runs the
     * spout's acks and fails, so a push of 1,000 changes must not hold it for all of them.
     */
    public static final int DEFAULT_SPOUT_EMIT_BATCH = 200;
    /**
     * Undertow I/O threads per spout task. On 2 cores one: the I/O thread only moves bytes and
     * parses headers; push bodies are parsed on the spout's own pool and Ignite is read on workers.
     */
    public static final int DEFAULT_SPOUT_IO_THREADS = 1;
    /**
     * Undertow worker threads per spout task: the requests that read Ignite (GET /v1/changes,
     * GET /v1/rejected) and the static files run there (pushes are parsed on the spout's own pool);
     * a few keep one slow read from holding up the others.
     */
    public static final int DEFAULT_SPOUT_WORKER_THREADS = 4;
    /**
     * Clients whose sequencing state a sequencer task keeps in memory; beyond it the least
     * recently seen client with nothing in flight is dropped and read back from its stored mark
     * when it returns. A client costs a few hundred bytes: 100,000 are tens of MB per task.
     */
    public static final int DEFAULT_SEQUENCER_CLIENTS_IN_MEMORY = 100_000;
    /**
     * Megabytes of record JSON a resolver task keeps in memory, so that a record it wrote or read
     * before is decided again without reading Ignite (0: none). On the heap a record takes about
     * 2.5 times its JSON (docs/configuration.md).
     */
    public static final int DEFAULT_RESOLVER_CACHE_MB = 32;

    private final String name;
    private final int workers;
    private final int spoutParallelism;
    private final int validateParallelism;
    private final int sequenceParallelism;
    private final int resolveParallelism;
    private final int flumeParallelism;
    private final int filesParallelism;
    private final int kafkaParallelism;
    private final int maxSpoutPending;
    private final int messageTimeoutSecs;
    /** The largest topology.igniteBatchSize: a resolver batch, and so a change-feed block, is never longer. */
    public static final int MAX_IGNITE_BATCH_SIZE = 100_000;
    private final int igniteBatchSize;
    private final int spoutEmitBatch;
    private final int spoutIoThreads;
    private final int spoutWorkerThreads;
    private final int sequencerClientsInMemory;
    private final int resolverCacheMb;
    private final Map<String, Object> stormConfig;
    /** Storm's {@code Config.TOPOLOGY_PRODUCER_BATCH_SIZE} (this module does not depend on Storm). */
    static final String PRODUCER_BATCH_SIZE = "topology.producer.batch.size";

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
        kafkaParallelism = Check.range("topology.kafkaParallelism", b.kafkaParallelism, 1, 1000);
        maxSpoutPending = Check.range("topology.maxSpoutPending", b.maxSpoutPending, 1, 10_000_000);
        messageTimeoutSecs = Check.range("topology.messageTimeoutSecs", b.messageTimeoutSecs, 1, 3600);
        igniteBatchSize = Check.range("topology.igniteBatchSize", b.igniteBatchSize, 1, MAX_IGNITE_BATCH_SIZE);
        spoutEmitBatch = Check.range("topology.spoutEmitBatch", b.spoutEmitBatch, 1, 100_000);
        spoutIoThreads = Check.range("topology.spoutIoThreads", b.spoutIoThreads, 1, 64);
        spoutWorkerThreads = Check.range("topology.spoutWorkerThreads", b.spoutWorkerThreads, 1, 1024);
        sequencerClientsInMemory = Check.range("topology.sequencerClientsInMemory", b.sequencerClientsInMemory, 1,
                10_000_000);
        resolverCacheMb = Check.range("topology.resolverCacheMb", b.resolverCacheMb, 0, 100_000);
        Object batch = b.stormConfig.get(PRODUCER_BATCH_SIZE);
        if (batch != null && !(batch instanceof Number n && n.doubleValue() == 1)) {
            // The group-commit bolts emit from their writer threads; Storm flushes producer
            // batches on the executor's thread only (GroupCommitBolt.requireNoProducerBatching).
            throw new IllegalArgumentException("topology.storm." + PRODUCER_BATCH_SIZE + ": " + batch
                    + " is not allowed; leave it out or set 1. idbsync's resolver and sink bolts emit and ack from"
                    + " their writer threads, and Storm flushes producer batches only on the executor's own thread:"
                    + " with batching, pushes stall until they time out");
        }
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
        s.integer("kafkaParallelism", b::kafkaParallelism);
        s.integer("maxSpoutPending", b::maxSpoutPending);
        s.integer("messageTimeoutSecs", b::messageTimeoutSecs);
        s.integer("igniteBatchSize", b::igniteBatchSize);
        s.integer("spoutEmitBatch", b::spoutEmitBatch);
        s.integer("spoutIoThreads", b::spoutIoThreads);
        s.integer("spoutWorkerThreads", b::spoutWorkerThreads);
        s.integer("sequencerClientsInMemory", b::sequencerClientsInMemory);
        s.integer("resolverCacheMb", b::resolverCacheMb);
        Map<String, Object> storm = s.passThrough("storm", "Storm settings");
        if (storm != null) {
            b.stormConfig(storm);
        }
        s.finish();
        return b.build();
    }

    public Builder toBuilder() {
        return new Builder().name(name).workers(workers).spoutParallelism(spoutParallelism)
                .validateParallelism(validateParallelism).sequenceParallelism(sequenceParallelism).resolveParallelism(resolveParallelism).flumeParallelism(flumeParallelism).filesParallelism(filesParallelism).kafkaParallelism(kafkaParallelism)
                .maxSpoutPending(maxSpoutPending).messageTimeoutSecs(messageTimeoutSecs)
                .igniteBatchSize(igniteBatchSize).spoutEmitBatch(spoutEmitBatch).spoutIoThreads(spoutIoThreads)
                .spoutWorkerThreads(spoutWorkerThreads).sequencerClientsInMemory(sequencerClientsInMemory)
                .resolverCacheMb(resolverCacheMb).stormConfig(stormConfig);
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

    /** Tasks of the Kafka sink; each record goes to the task of its (db, store, key), which keeps its versions in order. */
    public int kafkaParallelism() {
        return kafkaParallelism;
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

    /** Tuples a spout task emits per {@code nextTuple} call before it lets Storm run acks and fails. */
    public int spoutEmitBatch() {
        return spoutEmitBatch;
    }

    /** Undertow I/O threads of each spout task's listener. */
    public int spoutIoThreads() {
        return spoutIoThreads;
    }

    /** Undertow worker threads of each spout task's listener. */
    public int spoutWorkerThreads() {
        return spoutWorkerThreads;
    }

    /** Clients whose sequencing state a sequencer task keeps in memory (the others are read back from Ignite). */
    public int sequencerClientsInMemory() {
        return sequencerClientsInMemory;
    }

    /** Megabytes of record JSON each resolver task keeps in memory (0: none). */
    public int resolverCacheMb() {
        return resolverCacheMb;
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
        private int kafkaParallelism = 1;
        private int maxSpoutPending = DEFAULT_MAX_SPOUT_PENDING;
        private int messageTimeoutSecs = DEFAULT_MESSAGE_TIMEOUT_SECS;
        private int igniteBatchSize = DEFAULT_IGNITE_BATCH_SIZE;
        private int spoutEmitBatch = DEFAULT_SPOUT_EMIT_BATCH;
        private int spoutIoThreads = DEFAULT_SPOUT_IO_THREADS;
        private int spoutWorkerThreads = DEFAULT_SPOUT_WORKER_THREADS;
        private int sequencerClientsInMemory = DEFAULT_SEQUENCER_CLIENTS_IN_MEMORY;
        private int resolverCacheMb = DEFAULT_RESOLVER_CACHE_MB;
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

        public Builder kafkaParallelism(int v) {
            kafkaParallelism = v;
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

        public Builder spoutEmitBatch(int v) {
            spoutEmitBatch = v;
            return this;
        }

        public Builder spoutIoThreads(int v) {
            spoutIoThreads = v;
            return this;
        }

        public Builder spoutWorkerThreads(int v) {
            spoutWorkerThreads = v;
            return this;
        }

        public Builder sequencerClientsInMemory(int v) {
            sequencerClientsInMemory = v;
            return this;
        }

        public Builder resolverCacheMb(int v) {
            resolverCacheMb = v;
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
