package dev.idbsync.bolt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.common.ignite.SyncCaches;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Keys;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.Result;
import java.io.IOException;
import java.lang.reflect.Proxy;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.ignite.client.ClientCache;
import org.apache.ignite.client.ClientCacheConfiguration;
import org.apache.ignite.client.ClientException;
import org.apache.ignite.client.IgniteClient;
import org.junit.jupiter.api.Test;

/** The Ignite sink's writes, against in-memory caches (the real ones are in the integration tests). */
class IgniteRecordWriterTest {
    private static final String CACHE = "notes-app.notes";
    private final Map<String, Map<String, String>> caches = new HashMap<>();
    private final Set<String> failing = new HashSet<>();
    private final SyncConfig config = SyncConfig.builder()
            .store(new StoreConfig("notes-app", "notes", null, null, "lww", CACHE)).build();
    private final IgniteRecordWriter writer = new IgniteRecordWriter(config, new SyncCaches(fakeClient(), config.ignite()),
            () -> 5_000L);

    @Test
    void aPutIsStoredAsJsonUnderItsCanonicalKeyWithVersion1AndItsOutcome() throws IOException {
        writer.write(List.of(put("c1", 1, "n-1", "Buy milk")));

        JsonNode rec = Json.MAPPER.readTree(caches.get(CACHE).get("\"n-1\""));
        assertEquals("Buy milk", rec.at("/value/title").asText());
        assertEquals(1, rec.get("version").asInt());
        assertEquals("c1", rec.get("clientId").asText());
        assertEquals(5_000L, rec.get("serverTs").asLong());
        assertEquals(1_000L + (5_000L - 2_000L), rec.get("ts").asLong(), "ts corrected by the skew (receivedAt - sentAt)");
        assertEquals("{\"seq\":1,\"status\":\"applied\",\"version\":1}", caches.get("idbsync_outcomes").get("notes-app/c1/1"));
    }

    @Test
    void versionsCountUpWithinABatchAndAcrossBatchesDeletesIncluded() throws IOException {
        writer.write(List.of(put("c1", 1, "k", "a"), put("c1", 2, "k", "b")));
        writer.write(List.of(delete("c2", 1, "k")));

        JsonNode rec = Json.MAPPER.readTree(caches.get(CACHE).get("\"k\""));
        assertEquals(3, rec.get("version").asInt());
        assertEquals("delete", rec.get("op").asText());
        assertFalse(rec.has("value"), "a tombstone has no value");
        assertTrue(caches.get("idbsync_outcomes").get("notes-app/c1/2").contains("\"version\":2"));
        assertTrue(caches.get("idbsync_outcomes").get("notes-app/c2/1").contains("\"version\":3"));
    }

    @Test
    void aReplayOfTheWriteThatMadeTheCurrentVersionKeepsIt() throws IOException {
        IgniteRecordWriter.Item c = put("c1", 7, "k", "a");
        writer.write(List.of(c));
        writer.write(List.of(c));

        assertEquals(1, Json.MAPPER.readTree(caches.get(CACHE).get("\"k\"")).get("version").asInt());
        assertTrue(caches.get("idbsync_outcomes").get("notes-app/c1/7").contains("\"version\":1"));
    }

    @Test
    void aRejectedChangeGetsItsOutcomeAndNoRecord() {
        Change c = put("c1", 1, "bad", "x").change();
        writer.write(List.of(new IgniteRecordWriter.Item(c, Result.rejected(1, new ChangeError("schema", "/value/title", "m")))));

        assertNull(caches.getOrDefault(CACHE, Map.of()).get("\"bad\""));
        assertTrue(caches.get("idbsync_outcomes").get("notes-app/c1/1").contains("\"status\":\"rejected\""));
    }

    @Test
    void anIgniteErrorOnTheRecordsLeavesNoOutcomeBehind() {
        failing.add(CACHE);
        assertThrows(ClientException.class, () -> writer.write(List.of(put("c1", 1, "k", "a"))));
        assertNull(caches.getOrDefault("idbsync_outcomes", Map.of()).get("notes-app/c1/1"),
                "an outcome must never be visible without its record");
    }

    private IgniteRecordWriter.Item put(String client, long seq, String key, String title) {
        ObjectNode v = Json.MAPPER.createObjectNode().put("title", title);
        return new IgniteRecordWriter.Item(change(client, seq, key, Op.PUT, v), null);
    }

    private IgniteRecordWriter.Item delete(String client, long seq, String key) {
        return new IgniteRecordWriter.Item(change(client, seq, key, Op.DELETE, null), null);
    }

    private static Change change(String client, long seq, String key, Op op, ObjectNode value) {
        TextNode k = TextNode.valueOf(key);
        return new Change("notes-app", client, seq, "notes", k, Keys.canonical(k), op, value, 0, 1_000L, null, 2_000L, 5_000L);
    }

    @SuppressWarnings("unchecked")
    private IgniteClient fakeClient() {
        return (IgniteClient) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {IgniteClient.class},
                (proxy, m, args) -> {
                    if (m.getName().equals("getOrCreateCache") && args[0] instanceof ClientCacheConfiguration cfg) {
                        return fakeCache(cfg.getName());
                    }
                    throw new UnsupportedOperationException(m.getName());
                });
    }

    @SuppressWarnings("unchecked")
    private ClientCache<String, String> fakeCache(String name) {
        Map<String, String> data = caches.computeIfAbsent(name, n -> new HashMap<>());
        return (ClientCache<String, String>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {ClientCache.class}, (proxy, m, args) -> switch (m.getName()) {
                    case "getName" -> name;
                    case "getAll" -> {
                        Map<String, String> out = new HashMap<>();
                        for (String k : (Set<String>) args[0]) {
                            if (data.containsKey(k)) {
                                out.put(k, data.get(k));
                            }
                        }
                        yield out;
                    }
                    case "putAll" -> {
                        if (failing.contains(name)) {
                            throw new ClientException("injected: " + name + " is down");
                        }
                        data.putAll((Map<String, String>) args[0]);
                        yield null;
                    }
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }
}
