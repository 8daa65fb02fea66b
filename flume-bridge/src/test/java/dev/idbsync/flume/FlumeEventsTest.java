package dev.idbsync.flume;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.SinkEvent;
import dev.idbsync.protocol.Status;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.flume.Event;
import org.junit.jupiter.api.Test;

/** The headers and body of a resolved change as a Flume event (docs/flume.md, "Headers" and "Body"). */
class FlumeEventsTest {

    @Test
    void anAppliedPutHasEveryHeaderButPolicyAndItsValueAsBody() throws Exception {
        ObjectNode value = (ObjectNode) Json.MAPPER.readTree("{\"title\":\"Buy milk\",\"done\":false}");
        Event e = FlumeEvents.of(event("\"n-1\"", Op.PUT, value, 1, 1, Status.APPLIED, null));
        assertEquals(Map.of("db", "notes-app", "store", "notes", "key", "\"n-1\"", "op", "put", "version", "1",
                "clientId", "c-5f0c2a", "seq", "1", "eventId", "notes-app/c-5f0c2a/1", "ts", "1795291645369",
                "status", "applied"), e.getHeaders());
        assertEquals("{\"title\":\"Buy milk\",\"done\":false}", new String(e.getBody(), StandardCharsets.UTF_8));
    }

    @Test
    void aDeleteHasAnEmptyBodyAndItsKeyInCanonicalForm() throws Exception {
        Event e = FlumeEvents.of(event("[\"2026\",7]", Op.DELETE, null, 1, 3, Status.APPLIED, null));
        assertEquals("delete", e.getHeaders().get("op"));
        assertEquals("[\"2026\",7]", e.getHeaders().get("key"));
        assertEquals("notes-app/c-5f0c2a/3", e.getHeaders().get("eventId"));
        assertArrayEquals(new byte[0], e.getBody());
    }

    @Test
    void aConflictNamesItsPolicyAndCarriesTheValueTheRecordKept() throws Exception {
        ObjectNode kept = (ObjectNode) Json.MAPPER.readTree("{\"title\":\"Buy milk\",\"done\":true}");
        Event e = FlumeEvents.of(event("\"n-1\"", Op.PUT, kept, 2, 1, Status.CONFLICT, "lww"));
        assertEquals("conflict", e.getHeaders().get("status"));
        assertEquals("lww", e.getHeaders().get("policy"));
        assertEquals("2", e.getHeaders().get("version"));
        assertEquals(11, e.getHeaders().size());
        assertEquals(kept, Json.MAPPER.readTree(e.getBody()));
    }

    /**
     * Json.MAPPER's UTF-8 bytes: other characters as themselves in UTF-8, but one outside the BMP
     * as the JSON escape of its surrogate pair (Jackson's UTF-8 writer does so), which every JSON
     * reader decodes to the same string. Pinned here because it is what agents have received so far.
     */
    @Test
    void theBodyIsCompactJsonInUtf8() throws Exception {
        String json = "{\"title\":\"caf\u00e9 \u2603 \ud83d\ude00\",\"price\":1.50,\"n\":12345678901234567890,\"tags\":[]}";
        ObjectNode value = (ObjectNode) Json.MAPPER.readTree(json);
        Event e = FlumeEvents.of(event("7", Op.PUT, value, 1, 1, Status.APPLIED, null));
        assertEquals("{\"title\":\"caf\u00e9 \u2603 \\uD83D\\uDE00\",\"price\":1.5,\"n\":12345678901234567890,\"tags\":[]}",
                new String(e.getBody(), StandardCharsets.UTF_8));
        assertEquals(value, Json.MAPPER.readTree(e.getBody()));
    }

    @Test
    void theTimestampIsTheServersNotTheClients() throws Exception {
        SinkEvent s = event("\"n-1\"", Op.PUT, Json.MAPPER.createObjectNode(), 1, 1, Status.APPLIED, null);
        Event e = FlumeEvents.of(s);
        assertEquals(Long.toString(s.serverTs()), e.getHeaders().get("ts"));
    }

    private static SinkEvent event(String keyString, Op op, ObjectNode value, long version, long seq, Status status,
                                   String policy) throws Exception {
        JsonNode key = Json.MAPPER.readTree(keyString);
        return new SinkEvent("notes-app/c-5f0c2a/" + seq, "notes-app", "notes", key, keyString, op, value, version,
                "c-5f0c2a", seq, 1_795_291_600_000L, 1_795_291_645_369L, status, policy,
                status == Status.CONFLICT ? Op.PUT : null,
                status == Status.CONFLICT ? Json.MAPPER.createObjectNode().put("title", "theirs") : null);
    }
}
