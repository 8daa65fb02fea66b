package dev.idbsync.ignite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * The rejected-changes log: every {@code rejected} change as it was sent (a value over
 * {@code limits.maxRejectedValueBytes} replaced by {@code valueTruncated}), with its error. Kept in
 * Ignite for GET /v1/rejected ({@link SyncCaches#REJECTED_CACHE}, key {@code db/clientId/seq},
 * kept {@code ignite.rejectedRetentionHours}; {@link SyncCaches#REJECTED_INDEX_CACHE} lists each
 * client's rejected seqs under {@code db/clientId}) and written by the file sink under
 * {@code rejected/...}. The resolver writes both caches in the transaction that decides the change.
 */
public final class RejectedLog {
    /** Seqs kept per client in the index; older ones are past any sensible retention. */
    public static final int MAX_INDEXED = 10_000;

    private RejectedLog() {
    }

    /**
     * The field that replaces {@code value} in a logged change whose value was over the bound
     * ({@code keyTruncated} and {@code fieldsTruncated} likewise).
     */
    public static final String VALUE_TRUNCATED = "valueTruncated";
    /** Bytes of the bound kept for {@code valueTruncated}'s other fields and its own braces. */
    static final int TRUNCATED_OVERHEAD = 160;

    /**
     * The entry: {@code eventId, db, clientId, seq, change (as sent), error, at}. The one place that
     * bounds a rejected value: the rejected-changes log in Ignite, the outcome that embeds this entry,
     * the file line and GET /v1/rejected all get what it returns.
     *
     * @param maxValueBytes {@code limits.maxRejectedValueBytes}: a value larger than this as JSON
     *     is kept as {@code valueTruncated} ({@link #boundedValue}), and so are a key
     *     ({@code keyTruncated}) and {@code fields} ({@code fieldsTruncated})
     */
    public static ObjectNode entry(Change c, ChangeError error, long at, int maxValueBytes) {
        ObjectNode n = entry(c, error, at);
        ObjectNode change = (ObjectNode) n.get("change");
        ObjectNode out = Json.MAPPER.createObjectNode();
        boolean cut = false;
        // in the order of a change as sent, each bounded field where it was
        for (var it = change.fields(); it.hasNext(); ) {
            var f = it.next();
            ObjectNode bounded = BOUNDED_FIELDS.contains(f.getKey()) ? boundedValue(f.getValue(), maxValueBytes) : null;
            if (bounded != null) {
                out.set(f.getKey() + "Truncated", bounded);
                cut = true;
            } else {
                out.set(f.getKey(), f.getValue());
            }
        }
        if (cut) {
            n.set("change", out);
        }
        return n;
    }

    /**
     * The fields of a change whose size only the request body bounds: the value (a
     * {@code too_large} one is over {@code limits.maxValueBytes}), the key (a {@code key_too_large}
     * one) and {@code fields}. Each is bounded on its own, as {@code <name>Truncated}.
     */
    private static final java.util.Set<String> BOUNDED_FIELDS = java.util.Set.of("value", "key", "fields");

    /**
     * Null when {@code value} is at most {@code maxBytes} bytes as compact JSON (UTF-8), else
     * {@code {"bytes": <its size>, "sha256": <hex of those bytes>, "prefix": <the start of that
     * JSON text>}}, where the prefix is whole code points and the object, written as JSON, is at
     * most {@code maxBytes} bytes.
     */
    public static ObjectNode boundedValue(JsonNode value, int maxBytes) {
        byte[] json;
        try {
            json = Json.MAPPER.writeValueAsBytes(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (json.length <= maxBytes) {
            return null;
        }
        String text = new String(json, StandardCharsets.UTF_8);
        int budget = Math.max(0, maxBytes - TRUNCATED_OVERHEAD);
        int end = 0;
        int used = 0;
        while (end < text.length()) {
            int cp = text.codePointAt(end);
            // what the code point costs once the prefix is written as a JSON string (upper bound)
            int cost = cp == '"' || cp == '\\' ? 2 : cp < 0x20 ? 6 : cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
            if (used + cost > budget) {
                break;
            }
            used += cost;
            end += Character.charCount(cp);
        }
        ObjectNode t = Json.MAPPER.createObjectNode();
        t.put("bytes", json.length);
        t.put("sha256", sha256Hex(json));
        t.put("prefix", text.substring(0, end));
        return t;
    }

    private static String sha256Hex(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    /** The entry with the value kept whole, before {@link #entry(Change, ChangeError, long, int)} bounds it. */
    private static ObjectNode entry(Change c, ChangeError error, long at) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("eventId", c.eventId());
        n.put("db", c.db());
        n.put("clientId", c.clientId());
        n.put("seq", c.seq());
        n.set("change", asSent(c));
        n.set("error", Json.MAPPER.valueToTree(error));
        n.put("at", at);
        return n;
    }

    /** The change as the client sent it. */
    public static ObjectNode asSent(Change c) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("seq", c.seq());
        n.put("store", c.store());
        n.set("key", c.key());
        n.put("op", c.op().wire());
        if (c.value() != null) {
            n.set("value", c.value());
        }
        n.put("baseVersion", c.baseVersion());
        n.put("ts", c.ts());
        if (c.fields() != null) {
            ArrayNode f = n.putArray("fields");
            c.fields().forEach(f::add);
        }
        return n;
    }

    public static String clientKey(String db, String clientId) {
        return db + "/" + clientId;
    }

    /**
     * A client's index: its rejected seqs in the order they were committed, with when each was
     * rejected, as {@code {"base": n, "seqs": [...], "ats": [...]}}; {@code base} counts the oldest
     * seqs dropped past {@link #MAX_INDEXED}. A GET /v1/rejected cursor is a position in this
     * order, not a seq: a change of an earlier push that commits after a later one is appended
     * after it, so a reader's cursor can never have passed it.
     */
    public record Index(long base, List<Long> seqs, List<Long> ats) {
        /** Position after the last seq. */
        public long end() {
            return base + seqs.size();
        }
    }

    public static String append(String indexJson, List<Long> seqs, long at) {
        Index old = readIndex(indexJson);
        List<Long> all = new ArrayList<>(old.seqs());
        List<Long> ats = new ArrayList<>(old.ats());
        all.addAll(seqs);
        for (int i = 0; i < seqs.size(); i++) {
            ats.add(at);
        }
        long base = old.base();
        if (all.size() > MAX_INDEXED) {
            int drop = all.size() - MAX_INDEXED;
            all = new ArrayList<>(all.subList(drop, all.size()));
            ats = new ArrayList<>(ats.subList(drop, ats.size()));
            base += drop;
        }
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("base", base);
        ArrayNode a = n.putArray("seqs");
        all.forEach(a::add);
        ArrayNode t = n.putArray("ats");
        ats.forEach(t::add);
        return n.toString();
    }

    public static Index readIndex(String indexJson) {
        if (indexJson == null) {
            return new Index(0, List.of(), List.of());
        }
        try {
            JsonNode n = Json.MAPPER.readTree(indexJson);
            List<Long> seqs = new ArrayList<>();
            List<Long> ats = new ArrayList<>();
            JsonNode s = n.isArray() ? n : n.get("seqs"); // an early build kept a bare array of seqs
            for (JsonNode x : s) {
                seqs.add(x.asLong());
            }
            JsonNode t = n.isArray() ? null : n.get("ats");
            for (int i = 0; i < seqs.size(); i++) {
                ats.add(t != null && i < t.size() ? t.get(i).asLong() : 0L); // 0: unknown, treated as expired
            }
            return new Index(n.isArray() ? 0 : n.get("base").asLong(), seqs, ats);
        } catch (IOException | RuntimeException e) {
            throw new UncheckedIOException("a rejected-changes index in Ignite is not in idbsync's format: " + indexJson,
                    e instanceof IOException io ? io : new IOException(e));
        }
    }
}
