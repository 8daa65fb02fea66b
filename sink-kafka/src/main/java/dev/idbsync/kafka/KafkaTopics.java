package dev.idbsync.kafka;

import dev.idbsync.config.KafkaConfig;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The topics the sink writes to, checked before the topology is submitted: a missing one is
 * created with {@code kafka.partitions} and {@code kafka.replicationFactor} when
 * {@code kafka.createTopics} is true, and refused with a message naming it otherwise.
 */
public final class KafkaTopics {
    private KafkaTopics() {
    }

    /** The topics of the dbs: changes, and rejected changes when configured. */
    public static Set<String> of(KafkaConfig config, Iterable<String> dbs) {
        Set<String> out = new LinkedHashSet<>();
        for (String db : dbs) {
            out.add(config.topicFor(db));
            if (config.rejectedTopicFor(db) != null) {
                out.add(config.rejectedTopicFor(db));
            }
        }
        return out;
    }

    /**
     * Makes sure every topic exists.
     *
     * @return the topics it created
     * @throws IllegalStateException a topic is missing and may not be created, or the brokers
     *                               could not be asked (the message says which)
     */
    public static List<String> ensure(KafkaConfig config, Set<String> topics, KafkaClientFactory factory) {
        long timeoutMs = config.deliveryTimeoutMs() + 5_000L;
        try (Admin admin = factory.admin()) {
            Set<String> existing = admin.listTopics().names().get(timeoutMs, TimeUnit.MILLISECONDS);
            List<String> missing = new ArrayList<>();
            for (String t : topics) {
                if (!existing.contains(t)) {
                    missing.add(t);
                }
            }
            if (missing.isEmpty()) {
                return List.of();
            }
            if (!config.createTopics()) {
                throw new IllegalStateException("kafka: topic(s) " + missing + " do not exist on "
                        + config.bootstrapServers() + " and kafka.createTopics is false; create them, or set"
                        + " kafka.createTopics: true to let idbsync create them with kafka.partitions partitions");
            }
            Optional<Short> rf = config.replicationFactor() == -1 ? Optional.empty()
                    : Optional.of((short) config.replicationFactor());
            List<NewTopic> create = new ArrayList<>();
            for (String t : missing) {
                create.add(new NewTopic(t, Optional.of(config.partitions()), rf));
            }
            List<String> created = new ArrayList<>();
            var results = admin.createTopics(create).values();
            for (String t : missing) {
                try {
                    results.get(t).get(timeoutMs, TimeUnit.MILLISECONDS);
                    created.add(t);
                } catch (ExecutionException x) {
                    if (!(x.getCause() instanceof TopicExistsException)) { // made meanwhile by another start: fine
                        throw x;
                    }
                }
            }
            return created;
        } catch (ExecutionException e) {
            throw new IllegalStateException("kafka: checking or creating the topics " + topics + " on "
                    + config.bootstrapServers() + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("kafka: the brokers " + config.bootstrapServers() + " did not answer within "
                    + timeoutMs + " ms; are they up and is kafka.bootstrapServers right?", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("kafka: interrupted while checking the topics", e);
        }
    }
}
