package dev.idbsync.files;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.SinkEvent;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The lines and partitions of the file sink (docs/files.md).
 *
 * <p>A change line: {@code eventId, db, store, key, canonicalKey, op, value} (absent for a delete),
 * {@code version, clientId, seq, ts} (the client's, corrected by its clock skew),
 * {@code serverTs, status}, and for a conflict {@code policy, losingOp, losingValue} (what the
 * client sent, so that the losing side can be audited). Partition:
 * {@code changes/db=<db>/store=<store>/date=YYYY-MM-DD/hour=HH}, in UTC of serverTs.
 *
 * <p>A rejected line is the rejected-changes log entry; partition
 * {@code rejected/db=<db>/date=YYYY-MM-DD/hour=HH}, in UTC of its {@code at}.
 */
public final class FileLines {
    public static final String CHANGES = "changes";
    public static final String REJECTED = "rejected";
    private static final DateTimeFormatter PARTITION =
            DateTimeFormatter.ofPattern("'date='yyyy-MM-dd'/hour='HH").withZone(ZoneOffset.UTC);

    private FileLines() {
    }

    public static String changeLine(SinkEvent e) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("eventId", e.eventId());
        n.put("db", e.db());
        n.put("store", e.store());
        n.set("key", e.key());
        n.put("canonicalKey", e.keyString()); // 7 and 7.0 are one key; this form tells readers so
        n.put("op", e.op().wire());
        if (e.value() != null) {
            n.set("value", e.value());
        }
        n.put("version", e.version());
        n.put("clientId", e.clientId());
        n.put("seq", e.seq());
        n.put("ts", e.ts());
        n.put("serverTs", e.serverTs());
        n.put("status", e.status().wire());
        if (e.policy() != null) {
            n.put("policy", e.policy());
        }
        if (e.losingOp() != null) {
            n.put("losingOp", e.losingOp().wire());
        }
        if (e.losingValue() != null) {
            n.set("losingValue", e.losingValue());
        }
        return n.toString();
    }

    public static String changePartition(SinkEvent e) {
        return CHANGES + "/db=" + e.db() + "/store=" + e.store() + "/" + PARTITION.format(Instant.ofEpochMilli(e.serverTs()));
    }

    public static String rejectedPartition(JsonNode entry) {
        return REJECTED + "/db=" + entry.get("db").asText() + "/"
                + PARTITION.format(Instant.ofEpochMilli(entry.get("at").asLong()));
    }
}
