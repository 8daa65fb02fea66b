package dev.idbsync.kafka;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.config.KafkaConfig;
import dev.idbsync.files.FileLines;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.SinkEvent;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

/**
 * The Kafka records of the sink (docs/kafka.md).
 *
 * <p>A change: key = the JSON array {@code [db, store, canonicalKey]} (UTF-8), so every version of
 * one record hashes to one partition; value = the file sink's line ({@link FileLines#changeLine}),
 * one format for files and topics; headers (UTF-8 strings) {@value #EVENT_ID}, {@value #DB},
 * {@value #STORE}, {@value #OP}, {@value #VERSION}, {@value #CLIENT_ID}, {@value #SEQ},
 * {@value #STATUS}.
 *
 * <p>A rejected change (only with {@code kafka.rejectedTopic}): key = {@code [db, clientId]}, value =
 * the rejected-changes log entry (the file sink's rejected line); the same headers but
 * {@code version}, with status {@code rejected}.
 */
public final class KafkaRecords {
    public static final String EVENT_ID = "eventId";
    public static final String DB = "db";
    public static final String STORE = "store";
    public static final String OP = "op";
    public static final String VERSION = "version";
    public static final String CLIENT_ID = "clientId";
    public static final String SEQ = "seq";
    public static final String STATUS = "status";
    public static final String REJECTED = "rejected";

    private KafkaRecords() {
    }

    /** The record identity as the key's bytes: {@code ["db","store","canonicalKey"]}. */
    public static byte[] key(String db, String store, String canonicalKey) {
        ArrayNode a = Json.MAPPER.createArrayNode().add(db).add(store).add(canonicalKey);
        return a.toString().getBytes(StandardCharsets.UTF_8);
    }

    public static ProducerRecord<byte[], byte[]> change(KafkaConfig config, SinkEvent e) {
        Headers h = new RecordHeaders();
        add(h, EVENT_ID, e.eventId());
        add(h, DB, e.db());
        add(h, STORE, e.store());
        add(h, OP, e.op().wire());
        add(h, VERSION, Long.toString(e.version()));
        add(h, CLIENT_ID, e.clientId());
        add(h, SEQ, Long.toString(e.seq()));
        add(h, STATUS, e.status().wire());
        return new ProducerRecord<>(config.topicFor(e.db()), null, key(e.db(), e.store(), e.keyString()),
                FileLines.changeLine(e).getBytes(StandardCharsets.UTF_8), h);
    }

    /** The record of a rejected-changes log entry, or null when rejected changes are not sent. */
    public static ProducerRecord<byte[], byte[]> rejected(KafkaConfig config, ObjectNode entry) {
        String db = entry.path("db").asText();
        String topic = config.rejectedTopicFor(db);
        if (topic == null) {
            return null;
        }
        JsonNode change = entry.path("change");
        String clientId = entry.path("clientId").asText();
        Headers h = new RecordHeaders();
        add(h, EVENT_ID, entry.path("eventId").asText());
        add(h, DB, db);
        add(h, STORE, change.path("store").asText(""));
        add(h, OP, change.path("op").asText(""));
        add(h, CLIENT_ID, clientId);
        add(h, SEQ, entry.path("seq").asText());
        add(h, STATUS, REJECTED);
        byte[] key = Json.MAPPER.createArrayNode().add(db).add(clientId).toString().getBytes(StandardCharsets.UTF_8);
        return new ProducerRecord<>(topic, null, key, entry.toString().getBytes(StandardCharsets.UTF_8), h);
    }

    private static void add(Headers h, String name, String value) {
        h.add(name, value.getBytes(StandardCharsets.UTF_8));
    }
}
