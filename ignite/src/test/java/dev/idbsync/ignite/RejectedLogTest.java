package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class RejectedLogTest {
    private static final ChangeError TOO_LARGE = new ChangeError("too_large", "/value", "the value is big");

    private static Change put(ObjectNode value) {
        return new Change("notes-app", "c-1", 3, "notes", Json.MAPPER.getNodeFactory().textNode("n-1"), "\"n-1\"",
                Op.PUT, value, 0, 1000, null, 1000, 1000);
    }

    private static ObjectNode valueOf(String text) {
        ObjectNode v = Json.MAPPER.createObjectNode();
        v.put("title", text);
        return v;
    }

    @Test
    void aValueWithinTheBoundIsKeptWhole() {
        ObjectNode v = valueOf("Buy milk");
        ObjectNode e = RejectedLog.entry(put(v), TOO_LARGE, 5, 256);
        assertEquals(v, e.get("change").get("value"));
        assertFalse(e.get("change").has(RejectedLog.VALUE_TRUNCATED));
    }

    @Test
    void aLargerValueIsKeptAsSizeHashAndPrefixWithinTheBound() throws Exception {
        // quotes, backslashes, control characters and 4-byte code points cost more once escaped
        ObjectNode v = valueOf("\"\\\n\uD83D\uDE00é".repeat(20_000));
        byte[] json = Json.MAPPER.writeValueAsBytes(v);
        for (int bound : new int[] {256, 1000, 16 * 1024}) {
            ObjectNode e = RejectedLog.entry(put(v), TOO_LARGE, 5, bound);
            JsonNode change = e.get("change");
            assertFalse(change.has("value"), change.toString().substring(0, 100));
            JsonNode t = change.get(RejectedLog.VALUE_TRUNCATED);
            assertEquals(json.length, t.get("bytes").asLong());
            assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(json)), t.get("sha256").asText());
            String prefix = t.get("prefix").asText();
            assertTrue(new String(json, StandardCharsets.UTF_8).startsWith(prefix));
            assertTrue(prefix.length() > bound / 10, "a useful prefix: " + prefix.length());
            int stored = Json.MAPPER.writeValueAsBytes(t).length;
            assertTrue(stored <= bound, stored + " bytes for a bound of " + bound);
            // the rest of the change as sent is kept, in its order
            java.util.List<String> names = new java.util.ArrayList<>();
            change.fieldNames().forEachRemaining(names::add);
            assertEquals(java.util.List.of("seq", "store", "key", "op", "valueTruncated", "baseVersion", "ts"), names);
        }
    }

    @Test
    void aDeleteHasNoValueToBound() {
        Change c = new Change("notes-app", "c-1", 3, "notes", Json.MAPPER.getNodeFactory().textNode("n-1"), "\"n-1\"",
                Op.DELETE, null, 0, 1000, null, 1000, 1000);
        JsonNode change = RejectedLog.entry(c, TOO_LARGE, 5, 256).get("change");
        assertNull(change.get("value"));
        assertNull(change.get(RejectedLog.VALUE_TRUNCATED));
    }

    @Test
    void aKeyOrFieldsOverTheBoundAreKeptTheSameWay() {
        String bigKey = "k".repeat(100_000); // key_too_large: only the body bounds it
        java.util.List<String> fields = java.util.Collections.nCopies(20_000, "field");
        Change c = new Change("notes-app", "c-1", 3, "notes", Json.MAPPER.getNodeFactory().textNode(bigKey),
                "\"" + bigKey + "\"", Op.PUT, valueOf("small"), 0, 1000, fields, 1000, 1000);
        ObjectNode e = RejectedLog.entry(c, new ChangeError("key_too_large", "/key", "big"), 5, 1024);
        JsonNode change = e.get("change");
        assertFalse(change.has("key") || change.has("fields"));
        assertEquals(100_002, change.at("/keyTruncated/bytes").asInt());
        assertTrue(change.at("/fieldsTruncated/prefix").asText().startsWith("[\"field\",\"field\""));
        assertEquals("small", change.at("/value/title").asText(), "a small value is kept whole");
        assertTrue(e.toString().length() < 4 * 1024, e.toString().length() + " chars");
    }
}
