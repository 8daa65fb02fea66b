package dev.idbsync.kafka;

import dev.idbsync.config.KafkaConfig;
import java.io.Serializable;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Makes the sink's producer and the admin client that checks the topics, from the {@code kafka}
 * section. Serializable: the bolt carries it to its worker and makes its producer in {@code prepare}.
 * Tests hand the bolt a factory of their own.
 */
public class KafkaClientFactory implements Serializable {
    private static final long serialVersionUID = 1L;
    /** The producer's own linger: records of one batch go out together rather than one request each. */
    static final int LINGER_MS = 5;

    private final KafkaConfig config;

    public KafkaClientFactory(KafkaConfig config) {
        this.config = config;
    }

    public Producer<byte[], byte[]> producer() {
        return new KafkaProducer<>(producerProperties(config), new ByteArraySerializer(), new ByteArraySerializer());
    }

    public Admin admin() {
        return Admin.create(adminProperties(config));
    }

    /**
     * The producer's settings: the passed-through {@code kafka.producer} ones (security, compression,
     * ...) and, over them, what the sink's promises rest on: {@code acks=all} and idempotence (a
     * retried send never writes a record twice and keeps the order in a partition), timeouts that
     * end a batch within {@code kafka.deliveryTimeoutMs}.
     */
    public static Properties producerProperties(KafkaConfig config) {
        Properties p = new Properties();
        p.putAll(config.producer());
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", config.bootstrapServers()));
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        // Idempotence keeps order with up to 5 requests in flight per connection.
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "5");
        p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(LINGER_MS));
        int delivery = config.deliveryTimeoutMs();
        int linger = Integer.parseInt(p.getProperty(ProducerConfig.LINGER_MS_CONFIG));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, Integer.toString(delivery));
        // Kafka refuses delivery.timeout.ms < linger.ms + request.timeout.ms.
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(Math.max(1, delivery - linger)));
        // send() waits this long for metadata (a broker outage): no longer than a delivery.
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Integer.toString(delivery));
        return p;
    }

    /** The admin client's: the passed-through settings it knows (security among them), the config providers, the brokers. */
    public static Properties adminProperties(KafkaConfig config) {
        Properties p = new Properties();
        Map<String, String> given = config.producer();
        for (String k : AdminClientConfig.configNames()) {
            if (given.containsKey(k)) {
                p.put(k, given.get(k));
            }
        }
        // Kafka's config providers (config.providers, config.providers.<name>.class, ...) are not in
        // the admin client's list, but a ${file:...} value of a security setting needs them.
        given.forEach((k, v) -> {
            if (k.startsWith("config.providers")) {
                p.put(k, v);
            }
        });
        p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, String.join(",", config.bootstrapServers()));
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, Integer.toString(config.deliveryTimeoutMs()));
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, Integer.toString(config.deliveryTimeoutMs()));
        return p;
    }

    /** The producer's settings for the log, with every password, secret and JAAS config masked. */
    public static Map<String, Object> masked(Properties p) {
        Map<String, Object> out = new java.util.TreeMap<>();
        p.forEach((k, v) -> {
            String key = String.valueOf(k);
            String lower = key.toLowerCase(java.util.Locale.ROOT);
            boolean secret = lower.contains("password") || lower.contains("secret") || lower.contains("jaas")
                    || lower.endsWith(".key") || lower.contains("token");
            out.put(key, secret ? "******" : v);
        });
        return out;
    }
}
