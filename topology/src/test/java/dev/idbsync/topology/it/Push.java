package dev.idbsync.topology.it;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Json;

/**
 * Test-data builder for a push body:
 * {@code Push.to("notes-app").client("c1").put("notes", "n-1", value).delete("notes", "n-2").json()}.
 * Seqs count up from {@link #from(long)} (1 by default); ts from a fixed clock.
 */
public final class Push {
    private final ObjectNode root = Json.MAPPER.createObjectNode();
    private final ArrayNode changes;
    private long nextSeq = 1;
    private long ts = 1763740790000L;

    private Push(String db) {
        root.put("db", db);
        root.put("clientId", "c-test");
        root.put("sentAt", 1763740800123L);
        changes = root.putArray("changes");
    }

    public static Push to(String db) {
        return new Push(db);
    }

    public static ObjectNode note(String title) {
        ObjectNode v = Json.MAPPER.createObjectNode();
        v.put("title", title);
        return v;
    }

    public Push client(String clientId) {
        root.put("clientId", clientId);
        return this;
    }

    public Push from(long seq) {
        nextSeq = seq;
        return this;
    }

    public Push put(String store, Object key, JsonNode value) {
        return put(store, key, value, 0);
    }

    public Push put(String store, Object key, JsonNode value, long baseVersion) {
        ObjectNode c = change(store, key, "put", baseVersion);
        c.set("value", value);
        return this;
    }

    public Push delete(String store, Object key) {
        change(store, key, "delete", 0);
        return this;
    }

    /** The last change added, to bend it into a bad one. */
    public ObjectNode last() {
        return (ObjectNode) changes.get(changes.size() - 1);
    }

    private ObjectNode change(String store, Object key, String op, long baseVersion) {
        ObjectNode c = changes.addObject();
        c.put("seq", nextSeq++);
        c.put("store", store);
        c.set("key", Json.MAPPER.valueToTree(key));
        c.put("op", op);
        c.put("baseVersion", baseVersion);
        c.put("ts", ts += 1000);
        return c;
    }

    public ObjectNode node() {
        return root;
    }

    public String json() {
        return root.toString();
    }
}
