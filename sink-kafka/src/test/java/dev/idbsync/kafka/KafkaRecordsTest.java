package dev.idbsync.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.config.KafkaConfig;
import dev.idbsync.files.FileLines;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.SinkEvent;
import dev.idbsync.protocol.Status;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

/** Key, value, headers and topic of each record; the producer settings the sink insists on. */
class KafkaRecordsTest {
    private static final KafkaConfig CONFIG = KafkaConfig.builder().enabled(true).bootstrapServers(List.of("k:9092"))
            .topic("idbsync.{db}.changes").rejectedTopic("idbsync.rejected").build();

    private static SinkEvent event() {
        ObjectNode value = Json.MAPPER.createObjectNode().put("title", "Buy milk");
        return new SinkEvent("notes-app/c-1/7", "notes-app", "notes", TextNode.valueOf("n-1"), "\"n-1\"", Op.PUT, value,
                3, "c-1", 7, 1763740790000L, 1763740800000L, Status.APPLIED, null, null, null);
    }

    private static String header(ProducerRecord<byte[], byte[]> r, String name) {
        return r.headers().lastHeader(name) == null ? null
                : new String(r.headers().lastHeader(name).value(), StandardCharsets.UTF_8);
    }

    @Test
    void aChangeIsKeyedByItsRecordCarriesTheFileLineAndItsHeaders() {
        SinkEvent e = event();
        ProducerRecord<byte[], byte[]> r = KafkaRecords.change(CONFIG, e);
        assertEquals("idbsync.notes-app.changes", r.topic());
        assertNull(r.partition(), "the partitioner picks it from the key");
        assertEquals("[\"notes-app\",\"notes\",\"\\\"n-1\\\"\"]", new String(r.key(), StandardCharsets.UTF_8));
        assertEquals(FileLines.changeLine(e), new String(r.value(), StandardCharsets.UTF_8));
        assertEquals("notes-app/c-1/7", header(r, "eventId"));
        assertEquals("notes-app", header(r, "db"));
        assertEquals("notes", header(r, "store"));
        assertEquals("put", header(r, "op"));
        assertEquals("3", header(r, "version"));
        assertEquals("c-1", header(r, "clientId"));
        assertEquals("7", header(r, "seq"));
        assertEquals("applied", header(r, "status"));
    }

    @Test
    void keysCannotBeConfusedByTheCharactersInThem() {
        // a '/' or ',' in a key or a store name must not make two records one key
        assertFalse(new String(KafkaRecords.key("a", "b/c", "d")).equals(new String(KafkaRecords.key("a/b", "c", "d"))));
        assertFalse(new String(KafkaRecords.key("a", "b", "c\",\"d")).equals(new String(KafkaRecords.key("a", "b\",\"c", "d"))));
    }

    @Test
    void aRejectedEntryGoesToTheRejectedTopicOrNowhere() {
        ObjectNode entry = Json.MAPPER.createObjectNode().put("eventId", "notes-app/c-1/8").put("db", "notes-app")
                .put("clientId", "c-1").put("seq", 8);
        entry.putObject("change").put("store", "notes").put("op", "put");
        entry.putObject("error").put("code", "schema");
        ProducerRecord<byte[], byte[]> r = KafkaRecords.rejected(CONFIG, entry);
        assertEquals("idbsync.rejected", r.topic());
        assertEquals("[\"notes-app\",\"c-1\"]", new String(r.key(), StandardCharsets.UTF_8));
        assertEquals(entry.toString(), new String(r.value(), StandardCharsets.UTF_8));
        assertEquals("rejected", header(r, "status"));
        assertEquals("notes", header(r, "store"));
        assertEquals("8", header(r, "seq"));
        assertNull(header(r, "version"), "a rejected change has no version");
        assertNull(KafkaRecords.rejected(CONFIG.toBuilder().rejectedTopic(null).build(), entry));
    }

    @Test
    void theProducerIsIdempotentWithAcksAllAndTimeoutsWithinTheDeliveryTimeout() {
        KafkaConfig c = CONFIG.toBuilder().deliveryTimeoutMs(4000)
                .producer(Map.of("security.protocol", "SSL", "ssl.keystore.password", "hunter2", "linger.ms", "20")).build();
        Properties p = KafkaClientFactory.producerProperties(c);
        assertEquals("all", p.get("acks"));
        assertEquals("true", p.get("enable.idempotence"));
        assertEquals("k:9092", p.get("bootstrap.servers"));
        assertEquals("SSL", p.get("security.protocol"));
        assertEquals("4000", p.get("delivery.timeout.ms"));
        assertEquals("3980", p.get("request.timeout.ms"), "delivery.timeout.ms >= linger.ms + request.timeout.ms");
        assertEquals("4000", p.get("max.block.ms"));
        assertEquals("******", KafkaClientFactory.masked(p).get("ssl.keystore.password"));
        assertEquals("SSL", KafkaClientFactory.adminProperties(c).get("security.protocol"), "the admin client connects the same way");
        assertNull(KafkaClientFactory.adminProperties(c).get("linger.ms"), "producer-only settings stay off the admin client");
        KafkaConfig withProviders = CONFIG.toBuilder().producer(Map.of("config.providers", "file",
                "config.providers.file.class", "org.apache.kafka.common.config.provider.FileConfigProvider",
                "sasl.jaas.config", "${file:/etc/idbsync/kafka-secrets.properties:sasl.jaas.config}")).build();
        Properties admin = KafkaClientFactory.adminProperties(withProviders);
        assertEquals("file", admin.get("config.providers"), "the admin client resolves ${file:...} values too");
        assertEquals("org.apache.kafka.common.config.provider.FileConfigProvider", admin.get("config.providers.file.class"));
        assertEquals("******", KafkaClientFactory.masked(KafkaClientFactory.producerProperties(withProviders)).get("sasl.jaas.config"));
        assertThrows(IllegalArgumentException.class,
                () -> CONFIG.toBuilder().producer(Map.of("enable.idempotence", "false")).build());
    }
}
