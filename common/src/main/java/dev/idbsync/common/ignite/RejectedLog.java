package dev.idbsync.common.ignite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * The rejected-changes log: every {@code rejected} change as it was sent, with its error. Kept in
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

    /** The entry: {@code eventId, db, clientId, seq, change (as sent), error, at}. */
    public static ObjectNode entry(Change c, ChangeError error, long at) {
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

    /** The index after adding seqs: sorted, at most {@link #MAX_INDEXED} of the latest. */
    public static String addToIndex(String indexJson, List<Long> seqs) {
        TreeSet<Long> all = new TreeSet<>(readIndex(indexJson));
        all.addAll(seqs);
        while (all.size() > MAX_INDEXED) {
            all.pollFirst();
        }
        ArrayNode a = Json.MAPPER.createArrayNode();
        all.forEach(a::add);
        return a.toString();
    }

    public static List<Long> readIndex(String indexJson) {
        List<Long> out = new ArrayList<>();
        if (indexJson == null) {
            return out;
        }
        try {
            for (JsonNode n : Json.MAPPER.readTree(indexJson)) {
                out.add(n.asLong());
            }
        } catch (IOException e) {
            throw new UncheckedIOException("a rejected-changes index in Ignite is not in idbsync's format: " + indexJson, e);
        }
        return out;
    }
}
