package dev.idbsync.config;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The Kafka sink (optional, docs/kafka.md): every applied or conflict change, and optionally every
 * rejected one, becomes a record in a topic. Key: the record's identity (db, store, canonical key),
 * so all versions of one record land in one partition; value: the file sink's JSON line; headers:
 * {@code eventId, db, store, op, version, clientId, seq, status}. A batch's tuples are acked only
 * after the brokers acknowledged every record of it ({@code acks=all}, idempotent producer); a
 * failure fails them, so their pushes get 503. Delivery is at least once, with {@code eventId} for
 * consumers to drop repeats.
 *
 * <p>Topics: {@link #topic()} names one topic for every db, or one per db when it holds
 * {@value #DB_PLACEHOLDER}. At start the sink checks that every topic exists; a missing one is
 * created with {@link #partitions()} and {@link #replicationFactor()} when {@link #createTopics()}
 * is true, and refused with a message that names it otherwise.
 */
public final class KafkaConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Replaced by the db's name in {@link #topic()} and {@link #rejectedTopic()}. */
    public static final String DB_PLACEHOLDER = "{db}";
    public static final String DEFAULT_TOPIC = "idbsync.changes";
    /** Records per batch: the producer sends them together; the batch is acked once all are acknowledged. */
    public static final int DEFAULT_BATCH_SIZE = 500;
    /**
     * Longest a batch may take to be acknowledged (the producer's {@code delivery.timeout.ms} and
     * {@code max.block.ms}); well under Storm's message timeout (30 s), so an unreachable cluster
     * fails the batch, not the tuple tree.
     */
    public static final int DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;
    /** Partitions of a topic the sink creates; the key keeps each record in one of them. */
    public static final int DEFAULT_PARTITIONS = 3;
    /** -1: the brokers' {@code default.replication.factor}. */
    public static final int DEFAULT_REPLICATION_FACTOR = -1;

    /**
     * Producer settings the sink owns: what the promises rest on ({@code acks=all}, idempotence,
     * the serializers) and what this section sets under its own names.
     */
    public static final Set<String> OWNED_PRODUCER_SETTINGS = Set.of("bootstrap.servers", "acks",
            "enable.idempotence", "key.serializer", "value.serializer", "delivery.timeout.ms", "max.block.ms",
            "request.timeout.ms", "max.in.flight.requests.per.connection", "retries", "transactional.id");

    /** Kafka's legal topic names, with the placeholder allowed in the template. */
    private static final Pattern TOPIC = Pattern.compile("[A-Za-z0-9._-]+");
    private static final int MAX_TOPIC_LENGTH = 249;

    private final boolean enabled;
    private final List<String> bootstrapServers;
    private final String topic;
    private final String rejectedTopic;
    private final boolean createTopics;
    private final int partitions;
    private final int replicationFactor;
    private final int batchSize;
    private final int deliveryTimeoutMs;
    private final Map<String, String> producer;

    private KafkaConfig(Builder b) {
        enabled = b.enabled;
        List<String> given = b.bootstrapServers == null ? List.of() : b.bootstrapServers;
        if (enabled && given.isEmpty()) {
            throw new IllegalArgumentException("kafka.bootstrapServers: [] is not allowed; list at least one host:port"
                    + " of a broker (or set kafka.enabled: false)");
        }
        for (String a : given) {
            Check.address("kafka.bootstrapServers", a);
        }
        bootstrapServers = List.copyOf(given);
        topic = topicTemplate("kafka.topic", b.topic);
        rejectedTopic = b.rejectedTopic == null ? null : topicTemplate("kafka.rejectedTopic", b.rejectedTopic);
        if (topic.equals(rejectedTopic)) {
            throw new IllegalStateException("kafka.rejectedTopic: \"" + rejectedTopic + "\" is kafka.topic as well;"
                    + " rejected changes need a topic of their own (or leave kafka.rejectedTopic out)");
        }
        createTopics = b.createTopics;
        partitions = Check.range("kafka.partitions", b.partitions, 1, 10_000);
        if (b.replicationFactor != -1 && (b.replicationFactor < 1 || b.replicationFactor > 32)) {
            throw new IllegalArgumentException("kafka.replicationFactor: " + b.replicationFactor + " is not allowed; use an"
                    + " integer from 1 to 32, or -1 for the brokers' default.replication.factor");
        }
        replicationFactor = b.replicationFactor;
        batchSize = Check.range("kafka.batchSize", b.batchSize, 1, 100_000);
        deliveryTimeoutMs = Check.range("kafka.deliveryTimeoutMs", b.deliveryTimeoutMs, 1000, 600_000);
        Map<String, String> p = new LinkedHashMap<>();
        if (b.producer != null) {
            for (Map.Entry<String, String> e : b.producer.entrySet()) {
                if (OWNED_PRODUCER_SETTINGS.contains(e.getKey())) {
                    throw new IllegalArgumentException("kafka.producer." + e.getKey() + ": is set by the sink itself"
                            + " and may not be given here (" + ownedHint(e.getKey()) + ")");
                }
                if (e.getValue() == null) {
                    throw new IllegalArgumentException("kafka.producer." + e.getKey() + ": has no value; give one or leave the key out");
                }
                p.put(e.getKey(), e.getValue());
            }
        }
        String linger = p.get("linger.ms");
        if (linger != null && !linger.matches("\\d{1,9}") || linger != null && Integer.parseInt(linger) >= deliveryTimeoutMs) {
            // the sink computes request.timeout.ms from it; Kafka wants delivery >= linger + request
            throw new IllegalArgumentException("kafka.producer.linger.ms: " + linger + " is not allowed; use an integer"
                    + " from 0 to kafka.deliveryTimeoutMs - 1 (" + (deliveryTimeoutMs - 1) + ")");
        }
        producer = Collections.unmodifiableMap(p);
    }

    private static String ownedHint(String key) {
        return switch (key) {
            case "bootstrap.servers" -> "use kafka.bootstrapServers";
            case "delivery.timeout.ms", "max.block.ms", "request.timeout.ms" -> "use kafka.deliveryTimeoutMs";
            case "transactional.id" -> "the sink is idempotent, not transactional";
            default -> "acks=all and an idempotent producer are what the push's answer rests on";
        };
    }

    private static String topicTemplate(String key, String v) {
        Check.notBlank(key, v);
        String plain = v.replace(DB_PLACEHOLDER, "db");
        if (!TOPIC.matcher(plain).matches() || v.equals(".") || v.equals("..")) {
            throw new IllegalArgumentException(key + ": \"" + v + "\" is not allowed; a Kafka topic name has only"
                    + " [A-Za-z0-9._-], optionally with " + DB_PLACEHOLDER + " for one topic per db");
        }
        return v;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The {@code kafka} section of the config file. */
    static KafkaConfig fromYaml(Section s) {
        Builder b = builder();
        s.bool("enabled", b::enabled);
        s.strings("bootstrapServers", "a list of host:port strings", "host:port strings", b::bootstrapServers);
        s.string("topic", b::topic);
        s.string("rejectedTopic", b::rejectedTopic);
        s.bool("createTopics", b::createTopics);
        s.integer("partitions", b::partitions);
        s.integer("replicationFactor", b::replicationFactor);
        s.integer("batchSize", b::batchSize);
        s.integer("deliveryTimeoutMs", b::deliveryTimeoutMs);
        Map<String, Object> producer = s.passThrough("producer", "Kafka producer settings (security.protocol, sasl.*, ssl.*, ...)");
        s.finish();
        if (producer != null) {
            Map<String, String> p = new LinkedHashMap<>();
            producer.forEach((k, v) -> {
                if (v instanceof Map || v instanceof List) {
                    throw new IllegalArgumentException(s.key("producer." + k) + ": " + v
                            + " is not allowed; give a string, a number or true/false");
                }
                p.put(k, v == null ? null : String.valueOf(v));
            });
            b.producer(p);
        }
        return b.build();
    }

    /** Checks the topics every db resolves to; called by {@link SyncConfig} with its dbs. */
    void checkTopics(Iterable<String> dbs) {
        for (String db : dbs) {
            for (String[] t : new String[][] {{"kafka.topic", topic}, {"kafka.rejectedTopic", rejectedTopic}}) {
                if (t[1] != null && topicFor(t[1], db).length() > MAX_TOPIC_LENGTH) {
                    throw new IllegalArgumentException(t[0] + ": \"" + t[1] + "\" gives a topic of more than "
                            + MAX_TOPIC_LENGTH + " characters for db " + db + "; use a shorter name");
                }
            }
        }
    }

    public Builder toBuilder() {
        return new Builder().enabled(enabled).bootstrapServers(bootstrapServers).topic(topic).rejectedTopic(rejectedTopic)
                .createTopics(createTopics).partitions(partitions).replicationFactor(replicationFactor)
                .batchSize(batchSize).deliveryTimeoutMs(deliveryTimeoutMs).producer(producer);
    }

    /** The topic of a template for one db. */
    public static String topicFor(String template, String db) {
        return template.replace(DB_PLACEHOLDER, db);
    }

    /** The changes topic of the db. */
    public String topicFor(String db) {
        return topicFor(topic, db);
    }

    /** The rejected-changes topic of the db, or null when rejected changes are not sent. */
    public String rejectedTopicFor(String db) {
        return rejectedTopic == null ? null : topicFor(rejectedTopic, db);
    }

    public boolean enabled() {
        return enabled;
    }

    public List<String> bootstrapServers() {
        return bootstrapServers;
    }

    /** The changes topic, possibly with {@value #DB_PLACEHOLDER}. */
    public String topic() {
        return topic;
    }

    /** The rejected-changes topic, possibly with {@value #DB_PLACEHOLDER}; null: rejected changes are not sent. */
    public String rejectedTopic() {
        return rejectedTopic;
    }

    /** Create a missing topic at start (true) or refuse to start (false). */
    public boolean createTopics() {
        return createTopics;
    }

    public int partitions() {
        return partitions;
    }

    /** -1: the brokers' default. */
    public int replicationFactor() {
        return replicationFactor;
    }

    public int batchSize() {
        return batchSize;
    }

    public int deliveryTimeoutMs() {
        return deliveryTimeoutMs;
    }

    /** Further producer settings passed on as they are (security, compression, ...). */
    public Map<String, String> producer() {
        return producer;
    }

    public static final class Builder {
        private boolean enabled = false;
        private List<String> bootstrapServers = List.of();
        private String topic = DEFAULT_TOPIC;
        private String rejectedTopic;
        private boolean createTopics = true;
        private int partitions = DEFAULT_PARTITIONS;
        private int replicationFactor = DEFAULT_REPLICATION_FACTOR;
        private int batchSize = DEFAULT_BATCH_SIZE;
        private int deliveryTimeoutMs = DEFAULT_DELIVERY_TIMEOUT_MS;
        private Map<String, String> producer = Map.of();

        public Builder enabled(boolean v) {
            enabled = v;
            return this;
        }

        public Builder bootstrapServers(List<String> v) {
            bootstrapServers = v;
            return this;
        }

        public Builder topic(String v) {
            topic = v;
            return this;
        }

        public Builder rejectedTopic(String v) {
            rejectedTopic = v;
            return this;
        }

        public Builder createTopics(boolean v) {
            createTopics = v;
            return this;
        }

        public Builder partitions(int v) {
            partitions = v;
            return this;
        }

        public Builder replicationFactor(int v) {
            replicationFactor = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public Builder deliveryTimeoutMs(int v) {
            deliveryTimeoutMs = v;
            return this;
        }

        public Builder producer(Map<String, String> v) {
            producer = v;
            return this;
        }

        public KafkaConfig build() {
            return new KafkaConfig(this);
        }
    }
}
