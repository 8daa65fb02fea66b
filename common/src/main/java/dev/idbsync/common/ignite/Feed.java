package dev.idbsync.common.ignite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.ProtocolException;
import dev.idbsync.resolve.RecordState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.TreeMap;

/**
 * The change feed behind GET /v1/changes, kept in {@link SyncCaches#FEED_CACHE}.
 *
 * <p>Each resolver task is a partition with a log of its own per db: every new record version
 * it makes is appended at the next position ({@code db|p<task>|<pos>}), and the log's head
 * ({@code db|p<task>|head}) moves, in the same transaction that writes the record. A task
 * commits its transactions one after another, so each log grows in commit order: once a reader
 * sees a head, every entry up to it is committed, and no later commit can land behind it. That
 * is why a cursor, which holds a position per partition, can never skip an entry.
 *
 * <p>Compaction: an entry whose record has a newer version by now is left out; that newer
 * version is in the feed too (at or after the reader's position in its partition), so a reader
 * still ends up with every record's latest version, and the versions it gets only go up.
 */
public final class Feed {
    private static final String CURSOR_PREFIX = "c1.";
    /**
     * Partitions a reader looks for besides the config's and its cursor's: a record written by a
     * resolver task that no longer exists (after topology.resolveParallelism was lowered) stays
     * readable as long as its task index was below this.
     */
    public static final int PARTITIONS_PROBED = 64;

    private Feed() {
    }

    public static String headKey(String db, int partition) {
        return db + "|p" + partition + "|head";
    }

    public static String entryKey(String db, int partition, long pos) {
        return db + "|p" + partition + "|" + pos;
    }

    /**
     * The feed entry of a record version: only store, key and version. A reader delivers an
     * entry only while it names the record's current version, so the record itself holds what
     * the entry would (op, value, clientId, seq); the value is not stored a second time.
     */
    public static String entry(RecordState r) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("store", r.store());
        n.set("key", r.key());
        n.put("version", r.version());
        return n.toString();
    }

    /** What a pull answers for a record's current version: store, key, op, value (absent for a delete), version, clientId, seq. */
    public static ObjectNode change(RecordState r) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("store", r.store());
        n.set("key", r.key());
        n.put("op", r.op().wire());
        if (r.value() != null) {
            n.set("value", r.value());
        }
        n.put("version", r.version());
        n.put("clientId", r.clientId());
        n.put("seq", r.seq());
        return n;
    }

    /** Partition → position read up to; empty for "from the beginning". */
    public static Map<Integer, Long> decodeCursor(String cursor) {
        Map<Integer, Long> pos = new TreeMap<>();
        if (cursor == null || cursor.isEmpty()) {
            return pos;
        }
        try {
            if (!cursor.startsWith(CURSOR_PREFIX)) {
                throw new IllegalArgumentException("no prefix");
            }
            JsonNode n = Json.MAPPER.readTree(new String(Base64.getUrlDecoder().decode(cursor.substring(CURSOR_PREFIX.length())),
                    StandardCharsets.UTF_8));
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException("not an object");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int p = Integer.parseInt(e.getKey());
                long v = e.getValue().asLong(-1);
                if (p < 0 || v < 0 || !e.getValue().isIntegralNumber()) {
                    throw new IllegalArgumentException("bad position");
                }
                pos.put(p, v);
            }
            return pos;
        } catch (IOException | RuntimeException e) {
            throw new ProtocolException(400, "bad_cursor", "since: this is not a cursor this server gave; send the cursor"
                    + " of the last answer, or none to start from the beginning");
        }
    }

    public static String encodeCursor(Map<Integer, Long> pos) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        pos.forEach((p, v) -> n.put(Integer.toString(p), v));
        return CURSOR_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(n.toString().getBytes(StandardCharsets.UTF_8));
    }
}
