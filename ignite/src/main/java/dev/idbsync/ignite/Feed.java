package dev.idbsync.ignite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.ProtocolException;
import dev.idbsync.resolve.RecordState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The change feed behind GET /v1/changes, kept in {@link SyncCaches#FEED_CACHE}.
 *
 * <p>Each resolver task is a partition with a log of its own per db. A log is a sequence of
 * positions, one per new record version, from 1. Each transaction of the task appends the
 * versions it makes as one <i>block</i>: an entry at the first of its positions
 * ({@code db|p<task>|<pos>}) that holds them all, in order, and the log's head
 * ({@code db|p<task>|head}, the last position) moves past them, in the same transaction that
 * writes the records. (Logs written before blocks hold one version per entry: a block of one.)
 * A task commits its transactions one after another, so each log grows in commit order: once a
 * reader sees a head, every block up to it is committed, and no later commit can land behind
 * it. That is why a cursor, which holds a position per partition, can never skip an entry.
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

    /**
     * The last position the retention sweep removed from a partition's log ({@link FeedRetention});
     * absent: nothing removed. A cursor before it is answered 410 {@code resync}.
     */
    public static String trimmedKey(String db, int partition) {
        return db + "|p" + partition + "|trimmed";
    }

    /** When the log's head was where: the sweep's checkpoints, a JSON array of [epoch ms, head] pairs. */
    public static String agesKey(String db, int partition) {
        return db + "|p" + partition + "|ages";
    }

    /**
     * The highest version an expired tombstone of the db had, a decimal string (absent: none
     * removed). A record that is not there counts as at this version, so a key written again
     * gets a version above any it had ({@link dev.idbsync.resolve.Resolver}).
     */
    public static String floorKey(String db) {
        return db + "|floor";
    }

    public static String entryKey(String db, int partition, long pos) {
        return db + "|p" + partition + "|" + pos;
    }

    /**
     * A block of record versions, as stored: for each, only store, key and version. A reader
     * delivers a version only while it is the record's current one, so the record itself holds
     * what the entry would (op, value, clientId, seq); the value is not stored a second time.
     */
    public static String block(List<RecordState> versions) {
        ArrayNode a = Json.MAPPER.createArrayNode();
        for (RecordState r : versions) {
            ObjectNode n = a.addObject();
            n.put("store", r.store());
            n.set("key", r.key());
            n.put("version", r.version());
        }
        return a.toString();
    }

    /** The versions of a stored entry: a block (an array), or one version of a log written before blocks. */
    public static List<JsonNode> versions(String stored) {
        JsonNode n;
        try {
            n = Json.MAPPER.readTree(stored);
        } catch (IOException e) {
            throw new UncheckedIOException("a feed entry in Ignite is not in idbsync's format: " + stored, e);
        }
        List<JsonNode> out = new ArrayList<>();
        if (n != null && n.isArray()) {
            n.forEach(out::add);
        } else if (n != null && n.isObject()) {
            out.add(n);
        }
        if (out.isEmpty() || out.stream().anyMatch(v -> !v.has("store") || !v.has("key") || !v.has("version"))) {
            throw new UncheckedIOException(new IOException("a feed entry in Ignite is not in idbsync's format: " + stored));
        }
        return out;
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

    /**
     * Where a reader is in one partition's log: {@code read} positions are read, and the block
     * that holds position {@code read + 1} starts at {@code blockStart + 1}. Between blocks the two
     * are equal; a page that ended inside a block has {@code blockStart < read}.
     */
    public record Position(long blockStart, long read) {
        public Position {
            if (blockStart < 0 || read < blockStart) {
                throw new IllegalArgumentException(blockStart < 0 ? "a position is negative"
                        : "a position's block starts after it");
            }
        }

        public static Position at(long read) {
            return new Position(read, read);
        }
    }

    /** Partition → position read up to; empty for "from the beginning". */
    public static Map<Integer, Position> decodeCursor(String cursor) {
        Map<Integer, Position> pos = new TreeMap<>();
        if (cursor == null || cursor.isEmpty()) {
            return pos;
        }
        try {
            if (!cursor.startsWith(CURSOR_PREFIX)) {
                throw new IllegalArgumentException("it does not start with " + CURSOR_PREFIX);
            }
            byte[] json;
            try {
                json = Base64.getUrlDecoder().decode(cursor.substring(CURSOR_PREFIX.length()));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("it is not base64url after " + CURSOR_PREFIX);
            }
            JsonNode n = Json.MAPPER.readTree(new String(json, StandardCharsets.UTF_8));
            if (n == null || !n.isObject()) {
                throw new IllegalArgumentException("it does not hold an object of positions");
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                int p;
                try {
                    p = Integer.parseInt(e.getKey());
                } catch (NumberFormatException x) {
                    p = -1;
                }
                if (p < 0) {
                    throw new IllegalArgumentException("a partition is not a number from 0");
                }
                JsonNode v = e.getValue();
                if (v.isIntegralNumber() && v.canConvertToLong()) {
                    pos.put(p, Position.at(v.asLong(-1)));
                } else if (v.isArray() && v.size() == 2 && v.get(0).isIntegralNumber() && v.get(0).canConvertToLong()
                        && v.get(1).isIntegralNumber() && v.get(1).canConvertToLong()) {
                    pos.put(p, new Position(v.get(0).asLong(), v.get(1).asLong()));
                } else {
                    throw new IllegalArgumentException("a position is not a number or a pair of numbers");
                }
            }
            return pos;
        } catch (IllegalArgumentException e) {
            throw badCursor(e.getMessage() == null ? "it is not " + CURSOR_PREFIX + " followed by base64url JSON" : e.getMessage());
        } catch (IOException | RuntimeException e) {
            throw badCursor("it is not " + CURSOR_PREFIX + " followed by base64url JSON");
        }
    }

    /** 400 {@code bad_cursor}: what is wrong with the cursor, and how to go on. */
    static ProtocolException badCursor(String why) {
        return new ProtocolException(400, "bad_cursor", "since: this is not a cursor this server gave (" + why
                + "); pull again without since to start from the beginning");
    }

    /**
     * The longest cursor {@link #encodeCursor} makes for positions in {@code partitions}
     * partitions: each {@code "<p>":[<blockStart>,<read>]}, a partition of up to 10 digits and
     * two positions of up to 19, with its comma, in braces, base64url after the prefix.
     */
    public static int maxCursorChars(int partitions) {
        long json = 2 + 56L * partitions;
        return (int) Math.min(Integer.MAX_VALUE, CURSOR_PREFIX.length() + (4 * json + 2) / 3);
    }

    /** A position between blocks is a number, as before blocks; one inside a block is {@code [blockStart, read]}. */
    public static String encodeCursor(Map<Integer, Position> pos) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        pos.forEach((p, v) -> {
            if (v.blockStart() == v.read()) {
                n.put(Integer.toString(p), v.read());
            } else {
                n.putArray(Integer.toString(p)).add(v.blockStart()).add(v.read());
            }
        });
        return CURSOR_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(n.toString().getBytes(StandardCharsets.UTF_8));
    }
}
