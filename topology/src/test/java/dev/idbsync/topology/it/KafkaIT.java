package dev.idbsync.topology.it;

import static dev.idbsync.topology.it.Push.note;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.config.KafkaConfig;
import dev.idbsync.protocol.Json;
import dev.idbsync.testkit.Ports;
import dev.idbsync.topology.EmbeddedKafkaBroker;
import dev.idbsync.topology.SyncTopology;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Kafka sink against a real broker (one KRaft node in this JVM, {@link EmbeddedKafkaBroker}),
 * read back with a plain KafkaConsumer: key, value and headers of each record; every version of a
 * record in one partition, in order; rejected changes in their own topic; the broker stopped
 * mid-stream (503, then the client's retry: every acknowledged change in the topic, none applied
 * twice in Ignite).
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaIT {
    private static final String CACHE = "notes-app.notes";
    private static final String TOPIC = "idbsync.notes-app.changes";
    private static final String REJECTED_TOPIC = "idbsync.notes-app.rejected";

    @TempDir
    static Path dir;
    private EmbeddedKafkaBroker broker;
    private TestStack stack;

    @BeforeAll
    void start() throws Exception {
        broker = EmbeddedKafkaBroker.start(dir.resolve("kafka"), Ports.free());
        // Two sink tasks: the fields grouping, not luck, keeps a record's versions on one task.
        var base = dev.idbsync.config.ConfigLoader.load(TestStack.repoRoot().resolve("conf/local.yaml"));
        stack = TestStack.start(TestStack.localConfig(dir.resolve("data"), b -> {
            // Flume off: this test is about Kafka, and the machine's two cores are shared.
            return b.flume(base.flume().toBuilder().enabled(false).build())
                    .topology(base.topology().toBuilder().kafkaParallelism(2).build())
                    .kafka(KafkaConfig.builder().enabled(true).bootstrapServers(List.of(broker.bootstrapServers()))
                            .topic("idbsync.{db}.changes").rejectedTopic("idbsync.{db}.rejected").partitions(3)
                            .deliveryTimeoutMs(3000).batchSize(50).build());
        }), FaultlessIgnite::factory);
    }

    @AfterAll
    void stop() throws Exception {
        if (stack != null) {
            stack.close();
        }
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void eachChangeIsARecordWithTheRecordsIdentityAsKeyTheFileLineAsValueAndItsHeaders() throws Exception {
        Http.Answer a = stack.http.push(Push.to("notes-app").client("k-headers").put("notes", "kh-1", note("Buy milk"))
                .delete("notes", List.of("2026", 7)).json());
        assertEquals(200, a.status(), a.toString());

        ConsumerRecord<byte[], byte[]> put = await(TOPIC, r -> "notes-app/k-headers/1".equals(header(r, "eventId")));
        assertEquals("[\"notes-app\",\"notes\",\"\\\"kh-1\\\"\"]", new String(put.key(), StandardCharsets.UTF_8));
        JsonNode line = Json.MAPPER.readTree(put.value());
        assertEquals("notes-app/k-headers/1", line.get("eventId").asText());
        assertEquals("\"kh-1\"", line.get("canonicalKey").asText());
        assertEquals("put", line.get("op").asText());
        assertEquals("Buy milk", line.get("value").get("title").asText());
        assertEquals(1, line.get("version").asLong());
        assertEquals("applied", line.get("status").asText());
        assertEquals("notes-app", header(put, "db"));
        assertEquals("notes", header(put, "store"));
        assertEquals("put", header(put, "op"));
        assertEquals("1", header(put, "version"));
        assertEquals("k-headers", header(put, "clientId"));
        assertEquals("1", header(put, "seq"));
        assertEquals("applied", header(put, "status"));

        ConsumerRecord<byte[], byte[]> del = await(TOPIC, r -> "notes-app/k-headers/2".equals(header(r, "eventId")));
        assertEquals("delete", header(del, "op"));
        assertEquals("[\"notes-app\",\"notes\",\"[\\\"2026\\\",7]\"]", new String(del.key(), StandardCharsets.UTF_8));
        assertNull(Json.MAPPER.readTree(del.value()).get("value"), "a delete's line has no value");
    }

    @Test
    void everyVersionOfARecordLandsInOnePartitionInVersionOrder() throws Exception {
        // Two clients write the same three keys in turn: each key gets versions 1..6 from both.
        for (int round = 0; round < 3; round++) {
            for (String client : List.of("k-order-a", "k-order-b")) {
                Push p = Push.to("notes-app").client(client).from(round * 3L + 1);
                for (int k = 0; k < 3; k++) {
                    p.put("notes", "ko-" + k, note(client + " " + round));
                }
                Http.Answer a = stack.http.push(p.json());
                assertEquals(200, a.status(), a.toString());
            }
        }
        List<ConsumerRecord<byte[], byte[]>> all = awaitAll(TOPIC, r -> header(r, "clientId").startsWith("k-order-"), 18);
        Map<String, Integer> partitionOf = new HashMap<>();
        Map<String, List<Long>> versions = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : all) { // in offset order per partition
            String key = new String(r.key(), StandardCharsets.UTF_8);
            Integer before = partitionOf.putIfAbsent(key, r.partition());
            assertTrue(before == null || before == r.partition(), key + " is in partitions " + before + " and " + r.partition());
            versions.computeIfAbsent(key, x -> new ArrayList<>()).add(Long.parseLong(header(r, "version")));
        }
        assertEquals(3, versions.size(), versions.toString());
        for (var e : versions.entrySet()) {
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), e.getValue(), "versions of " + e.getKey() + " in partition order");
        }
    }

    @Test
    void aRejectedChangeGoesToTheRejectedTopicWithItsReason() throws Exception {
        Push p = Push.to("notes-app").client("k-rejected").put("notes", "kr-1", Json.MAPPER.createObjectNode().put("nope", 1));
        Http.Answer a = stack.http.push(p.json());
        assertEquals(200, a.status(), a.toString());
        assertEquals("rejected", a.results().get(0).get("status").asText(), a.toString());
        ConsumerRecord<byte[], byte[]> r = await(REJECTED_TOPIC, x -> "notes-app/k-rejected/1".equals(header(x, "eventId")));
        assertEquals("rejected", header(r, "status"));
        assertEquals("notes", header(r, "store"));
        assertEquals("[\"notes-app\",\"k-rejected\"]", new String(r.key(), StandardCharsets.UTF_8));
        JsonNode entry = Json.MAPPER.readTree(r.value());
        assertNotNull(entry.get("error"), entry.toString());
        assertTrue(records(TOPIC).stream().noneMatch(x -> "notes-app/k-rejected/1".equals(header(x, "eventId"))),
                "a rejected change is not in the changes topic");
    }

    @Test
    void whenTheBrokerStopsMidStreamPushesGet503AndTheRetriesDeliverEveryAcknowledgedChangeOnce() throws Exception {
        List<String> acked = new ArrayList<>();
        int got503 = 0;
        try {
            for (int i = 1; i <= 12; i++) {
                if (i == 5) {
                    broker.stop();
                }
                String body = Push.to("notes-app").client("k-outage").from(i).put("notes", "kd-" + i, note("n" + i)).json();
                Http.Answer a = stack.http.push(body);
                int tries = 1;
                while (a.status() != 200) {
                    assertEquals(503, a.status(), a.toString());
                    assertNotNull(a.retryAfter(), "a 503 says when to retry");
                    got503++;
                    if (tries == 2) {
                        broker.start(); // the broker comes back while the client keeps retrying
                    }
                    Thread.sleep(500);
                    a = stack.http.push(body); // the client's retry: the same push again
                    assertTrue(++tries < 40, "push " + i + " never went through: " + a);
                }
                // a retry of a change decided before is answered with its first outcome (PROTOCOL.md)
                JsonNode result = a.results().get(0);
                assertEquals("applied", result.has("first") ? result.get("first").asText() : result.get("status").asText(),
                        a.toString());
                acked.add("notes-app/k-outage/" + i);
            }
        } finally {
            broker.start();
        }
        assertTrue(got503 >= 1, "with the broker down a push is answered 503");

        List<ConsumerRecord<byte[], byte[]>> all = awaitAll(TOPIC, r -> "k-outage".equals(header(r, "clientId")), acked.size());
        Set<String> inTopic = new HashSet<>();
        all.forEach(r -> inTopic.add(header(r, "eventId")));
        for (String id : acked) {
            assertTrue(inTopic.contains(id), "acknowledged change " + id + " is in the topic");
        }
        for (int i = 1; i <= 12; i++) {
            String stored = stack.record(CACHE, "\"kd-" + i + "\"");
            assertNotNull(stored, "kd-" + i);
            assertEquals(1, Json.MAPPER.readTree(stored).get("version").asLong(), "kd-" + i + " was applied once: " + stored);
        }
        // a repeat in the topic, if any, is the same change with the same version
        for (ConsumerRecord<byte[], byte[]> r : all) {
            assertEquals("1", header(r, "version"), header(r, "eventId"));
        }
    }

    @Test
    void aMissingTopicIsCreatedWithItsPartitionsOrRefusedAtStartWhenItMustExist() throws Exception {
        KafkaConfig given = stack.config.kafka().toBuilder().topic("idbsync.{db}.made-here").rejectedTopic(null)
                .partitions(2).build();
        var config = stack.config.toBuilder().kafka(given).build();
        var out = new java.io.ByteArrayOutputStream();
        SyncTopology.ensureKafkaTopics(config, new java.io.PrintStream(out, true, StandardCharsets.UTF_8));
        assertTrue(out.toString(StandardCharsets.UTF_8).contains("created [idbsync.notes-app.made-here] with 2 partitions"),
                out.toString(StandardCharsets.UTF_8));
        try (var admin = new dev.idbsync.kafka.KafkaClientFactory(given).admin()) {
            assertEquals(2, admin.describeTopics(List.of("idbsync.notes-app.made-here")).allTopicNames().get()
                    .get("idbsync.notes-app.made-here").partitions().size());
        }

        var mustExist = stack.config.toBuilder().kafka(given.toBuilder().topic("idbsync.{db}.absent").createTopics(false)
                .build()).build();
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> SyncTopology.ensureKafkaTopics(mustExist, new java.io.PrintStream(java.io.OutputStream.nullOutputStream())));
        assertEquals("kafka: topic(s) [idbsync.notes-app.absent] do not exist on [" + broker.bootstrapServers() + "] and"
                + " kafka.createTopics is false; create them, or set kafka.createTopics: true to let idbsync create them"
                + " with kafka.partitions partitions", e.getMessage());
    }

    private static String header(ConsumerRecord<byte[], byte[]> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
    }

    private ConsumerRecord<byte[], byte[]> await(String topic, Predicate<ConsumerRecord<byte[], byte[]>> which) throws Exception {
        return awaitAll(topic, which, 1).get(0);
    }

    /** The matching records, once there are at least {@code n}, in partition and offset order. */
    private List<ConsumerRecord<byte[], byte[]>> awaitAll(String topic, Predicate<ConsumerRecord<byte[], byte[]>> which,
                                                          int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
        List<ConsumerRecord<byte[], byte[]>> got = List.of();
        while (System.nanoTime() < deadline) {
            got = records(topic).stream().filter(which).toList();
            if (got.size() >= n) {
                return got;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("expected " + n + " records in " + topic + ", found " + got.size());
    }

    /** Every record of the topic, read from the start with a plain consumer. */
    private List<ConsumerRecord<byte[], byte[]>> records(String topic) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = c.partitionsFor(topic, Duration.ofSeconds(10)).stream()
                    .map(i -> new TopicPartition(topic, i.partition())).sorted((x, y) -> x.partition() - y.partition()).toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            Map<TopicPartition, Long> end = c.endOffsets(parts);
            List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
            Map<TopicPartition, List<ConsumerRecord<byte[], byte[]>>> byPart = new HashMap<>();
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (parts.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    byPart.computeIfAbsent(new TopicPartition(r.topic(), r.partition()), x -> new ArrayList<>()).add(r);
                }
            }
            for (TopicPartition tp : parts) {
                out.addAll(byPart.getOrDefault(tp, List.of()));
            }
            return out;
        }
    }

    /** The plain Ignite factory of the topology (FlumeIT's pattern). */
    private static final class FaultlessIgnite {
        static dev.idbsync.ignite.IgniteClientFactory factory(dev.idbsync.config.IgniteConfig ic) {
            return new dev.idbsync.ignite.ThinClientFactory(ic);
        }
    }
}
