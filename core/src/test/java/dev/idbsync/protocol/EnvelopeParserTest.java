package dev.idbsync.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class EnvelopeParserTest {
    private static final long RECEIVED_AT = 1_763_740_801_000L;
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** The push example of PROTOCOL.md, byte for byte in content. */
    private static final String PROTOCOL_EXAMPLE = """
            {
              "db": "notes-app",
              "clientId": "c-5f0c2a",
              "sentAt": 1763740800123,
              "changes": [
                {"seq": 1, "store": "notes", "key": "n-1", "op": "put",
                 "value": {"title": "Buy milk", "done": false},
                 "baseVersion": 0, "ts": 1763740790000},
                {"seq": 2, "store": "notes", "key": "n-1", "op": "put",
                 "value": {"title": "Buy milk", "done": true}, "fields": ["done"],
                 "baseVersion": 0, "ts": 1763740795000},
                {"seq": 3, "store": "notes", "key": ["2026", 7], "op": "delete",
                 "baseVersion": 0, "ts": 1763740799000}
              ]
            }
            """;

    private final EnvelopeParser parser = new EnvelopeParser(1000);

    // ------------------------------------------------------------------ helpers

    private static String rep(char c, int n) {
        return String.valueOf(c).repeat(n);
    }

    /** A valid put change with seq {@code seq}. */
    private static ObjectNode validChange(long seq) {
        ObjectNode c = F.objectNode();
        c.put("seq", seq);
        c.put("store", "notes");
        c.put("key", "n-" + seq);
        c.put("op", "put");
        c.putObject("value").put("title", "t" + seq);
        c.put("baseVersion", 0);
        c.put("ts", 1000 + seq);
        return c;
    }

    /** A valid request with {@code n} changes, seqs 1..n. */
    private static ObjectNode validRequest(int n) {
        ObjectNode r = F.objectNode();
        r.put("db", "notes-app");
        r.put("clientId", "c-1");
        r.put("sentAt", 1_000_000L);
        ArrayNode changes = r.putArray("changes");
        for (int i = 1; i <= n; i++) {
            changes.add(validChange(i));
        }
        return r;
    }

    /** A valid one-change request with the envelope edited. */
    private static String root(Consumer<ObjectNode> edit) {
        ObjectNode r = validRequest(1);
        edit.accept(r);
        return r.toString();
    }

    /** A valid one-change request with its change edited. */
    private static String change0(Consumer<ObjectNode> edit) {
        ObjectNode r = validRequest(1);
        edit.accept((ObjectNode) r.get("changes").get(0));
        return r.toString();
    }

    /** A valid two-change request with the second change edited. */
    private static String change1(Consumer<ObjectNode> edit) {
        ObjectNode r = validRequest(2);
        edit.accept((ObjectNode) r.get("changes").get(1));
        return r.toString();
    }

    /** A put whose value nests {@code levels} objects deep (the value itself is level 1). */
    private static String nestedValue(int levels) {
        StringBuilder sb = new StringBuilder();
        sb.append("{\"title\":\"deep\",\"n\":");
        for (int i = 2; i < levels; i++) {
            sb.append("{\"n\":");
        }
        sb.append("{}");
        for (int i = 2; i < levels; i++) {
            sb.append('}');
        }
        sb.append('}');
        return sb.toString();
    }

    private static String withRawValue(String rawValueJson) {
        return "{\"db\":\"notes-app\",\"clientId\":\"c-1\",\"sentAt\":1,\"changes\":[{\"seq\":1,\"store\":\"notes\","
                + "\"key\":\"k\",\"op\":\"put\",\"value\":" + rawValueJson + ",\"baseVersion\":0,\"ts\":1}]}";
    }

    private static String withRawKey(String rawKeyJson) {
        return "{\"db\":\"notes-app\",\"clientId\":\"c-1\",\"sentAt\":1,\"changes\":[{\"seq\":1,\"store\":\"notes\","
                + "\"key\":" + rawKeyJson + ",\"op\":\"delete\",\"baseVersion\":0,\"ts\":1}]}";
    }

    /** A valid request whose changes have the given seqs. */
    private static String withSeqs(long... seqs) {
        ObjectNode r = validRequest(seqs.length);
        for (int i = 0; i < seqs.length; i++) {
            ((ObjectNode) r.get("changes").get(i)).put("seq", seqs[i]);
        }
        return r.toString();
    }

    private PushRequest parse(String body) {
        return parser.parse(body.getBytes(StandardCharsets.UTF_8), RECEIVED_AT);
    }

    private static Arguments bad(String name, String body, String code, String messageStart) {
        return Arguments.of(Named.of(name, body), code, messageStart);
    }

    // ------------------------------------------------------------------ the example

    @Test
    void protocolExampleParsesIntoThreeChanges() {
        PushRequest req = parse(PROTOCOL_EXAMPLE);

        assertEquals("notes-app", req.db());
        assertEquals("c-5f0c2a", req.clientId());
        assertEquals(1_763_740_800_123L, req.sentAt());
        assertEquals(RECEIVED_AT, req.receivedAt());
        assertEquals(3, req.changes().size());

        Change c1 = req.changes().get(0);
        assertEquals("notes-app", c1.db());
        assertEquals("c-5f0c2a", c1.clientId());
        assertEquals(1, c1.seq());
        assertEquals("notes", c1.store());
        assertEquals("n-1", c1.key().asText());
        assertEquals("\"n-1\"", c1.keyString());
        assertEquals(Op.PUT, c1.op());
        assertEquals("Buy milk", c1.value().get("title").asText());
        assertEquals(false, c1.value().get("done").booleanValue());
        assertEquals(0, c1.baseVersion());
        assertEquals(1_763_740_790_000L, c1.ts());
        assertNull(c1.fields(), "no fields were sent on seq 1");
        assertEquals(1_763_740_800_123L, c1.sentAt());
        assertEquals(RECEIVED_AT, c1.receivedAt());
        assertEquals("notes-app/c-5f0c2a/1", c1.eventId());

        Change c2 = req.changes().get(1);
        assertEquals(2, c2.seq());
        assertEquals("\"n-1\"", c2.keyString());
        assertEquals(Op.PUT, c2.op());
        assertEquals(true, c2.value().get("done").booleanValue());
        assertEquals(List.of("done"), c2.fields());
        assertEquals(1_763_740_795_000L, c2.ts());
        assertEquals(RECEIVED_AT, c2.receivedAt());

        Change c3 = req.changes().get(2);
        assertEquals(3, c3.seq());
        assertEquals(Op.DELETE, c3.op());
        assertEquals("[\"2026\",7]", c3.keyString());
        assertTrue(c3.key().isArray());
        assertNull(c3.value(), "a delete has no value");
        assertNull(c3.fields());
        assertEquals(1_763_740_799_000L, c3.ts());
        assertEquals(RECEIVED_AT, c3.receivedAt());
        // skew: receivedAt - sentAt = 877 ms
        assertEquals(1_763_740_799_000L + 877, c3.correctedTs());
    }

    @Test
    void changesListIsUnmodifiable() {
        PushRequest req = parse(PROTOCOL_EXAMPLE);
        assertThrows(UnsupportedOperationException.class, () -> req.changes().clear());
        assertThrows(UnsupportedOperationException.class, () -> req.changes().get(1).fields().add("x"));
    }

    // ------------------------------------------------------------------ accepted edge cases

    static Stream<Arguments> accepted() {
        return Stream.of(
                Arguments.of(Named.of("delete with \"value\": null", change0(c -> {
                    c.put("op", "delete");
                    c.putNull("value");
                })), 1),
                Arguments.of(Named.of("delete without value", change0(c -> {
                    c.put("op", "delete");
                    c.remove("value");
                })), 1),
                Arguments.of(Named.of("128-char db name", root(r -> r.put("db", rep('d', 128)))), 1),
                Arguments.of(Named.of("128-char store name", change0(c -> c.put("store", rep('s', 128)))), 1),
                Arguments.of(Named.of("name with . _ -", root(r -> r.put("db", "My_db-1.0"))), 1),
                Arguments.of(Named.of("clientId with colon", root(r -> r.put("clientId", "user:42.x_y-Z"))), 1),
                Arguments.of(Named.of("128-char clientId", root(r -> r.put("clientId", rep('c', 128)))), 1),
                Arguments.of(Named.of("seqs need not start at 1", withSeqs(41, 42, 43)), 3),
                Arguments.of(Named.of("empty value object", change0(c -> c.putObject("value"))), 1),
                Arguments.of(Named.of("number key", change0(c -> c.put("key", 7))), 1),
                Arguments.of(Named.of("nested array key", change0(c -> c.putArray("key").add("a").addArray().add(1).add("b"))), 1),
                Arguments.of(Named.of("empty-string key", change0(c -> c.put("key", ""))), 1),
                Arguments.of(Named.of("fields: null on a put", change0(c -> c.putNull("fields"))), 1),
                Arguments.of(Named.of("unknown extra field is ignored", change0(c -> c.put("extra", 1))), 1),
                Arguments.of(Named.of("exactly the change limit", validRequest(1000).toString()), 1000));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void accepts(String body, int changes) {
        PushRequest req = parse(body);
        assertEquals(changes, req.changes().size());
    }

    @Test
    void deleteWithNullValueHasNullValue() {
        Change c = parse(change0(ch -> {
            ch.put("op", "delete");
            ch.putNull("value");
        })).changes().get(0);
        assertEquals(Op.DELETE, c.op());
        assertNull(c.value());
    }

    @Test
    void fieldsOnADeleteAreIgnored() {
        Change c = parse(change0(ch -> {
            ch.put("op", "delete");
            ch.remove("value");
            ch.put("fields", 5);
        })).changes().get(0);
        assertNull(c.fields());
    }

    @Test
    void numberKeysAreCanonical() {
        Change c = parse(change0(ch -> ch.put("key", 7.0))).changes().get(0);
        assertEquals("7", c.keyString());
        Change d = parse(withRawKey("[\"2026\", 7.0, -0]")).changes().get(0);
        assertEquals("[\"2026\",7,0]", d.keyString());
    }

    @Test
    void valueNested200LevelsParses() {
        // Per-change nesting limits make that one change rejected later; the envelope is fine.
        PushRequest req = parse(withRawValue(nestedValue(200)));
        JsonNode v = req.changes().get(0).value();
        int depth = 0;
        for (JsonNode n = v; n != null && n.isObject(); n = n.get("n")) {
            depth++;
        }
        assertEquals(200, depth);
    }

    // ------------------------------------------------------------------ whole-request errors

    static Stream<Arguments> rejected() {
        String tooLong = rep('a', 129);
        return Stream.of(
                // not JSON
                bad("malformed JSON", "{\"db\": \"notes-app\",", "bad_json", "the body is not valid JSON"),
                bad("not JSON at all", "hello", "bad_json", "the body is not valid JSON"),
                bad("empty body", "", "bad_json", "the body is empty"),
                bad("whitespace body", "  \n ", "bad_json", "the body is empty"),
                bad("trailing garbage", validRequest(1) + " x", "bad_json", "the body is not valid JSON"),
                bad("trailing second object", validRequest(1) + " {}", "bad_json", "the body is not valid JSON"),
                bad("duplicate root key", "{\"db\":\"notes-app\",\"db\":\"other\",\"clientId\":\"c\",\"sentAt\":1,"
                        + "\"changes\":[]}", "bad_json", "the body is not valid JSON"),
                bad("duplicate key in a change", change0(c -> { }).replace("\"op\":\"put\"",
                        "\"op\":\"put\",\"op\":\"delete\""), "bad_json", "the body is not valid JSON"),
                bad("NaN key", withRawKey("NaN"), "bad_json", "the body is not valid JSON"),
                bad("Infinity key", withRawKey("Infinity"), "bad_json", "the body is not valid JSON"),
                bad("single-quoted strings", "{'db':'notes-app'}", "bad_json", "the body is not valid JSON"),

                // root shape
                bad("root is an array", "[]", "bad_request", "the body must be a JSON object"),
                bad("root is a string", "\"x\"", "bad_request", "the body must be a JSON object"),
                bad("root is null", "null", "bad_request", "the body must be a JSON object"),

                // db
                bad("db missing", root(r -> r.remove("db")), "bad_request", "/db: is required"),
                bad("db null", root(r -> r.putNull("db")), "bad_request", "/db: is required"),
                bad("db number", root(r -> r.put("db", 5)), "bad_request", "/db: must be a string"),
                bad("db object", root(r -> r.putObject("db")), "bad_request", "/db: must be a string"),
                bad("db empty", root(r -> r.put("db", "")), "bad_request", "/db: must be 1-128"),
                bad("db a/b", root(r -> r.put("db", "a/b")), "bad_request", "/db: must be 1-128"),
                bad("db a=b", root(r -> r.put("db", "a=b")), "bad_request", "/db: must be 1-128"),
                bad("db 129 chars", root(r -> r.put("db", tooLong)), "bad_request", "/db: must be 1-128"),
                bad("db with space", root(r -> r.put("db", "a b")), "bad_request", "/db: must be 1-128"),
                bad("db with colon", root(r -> r.put("db", "a:b")), "bad_request", "/db: must be 1-128"),
                bad("db ..", root(r -> r.put("db", "..")), "bad_request", "/db: must be 1-128"),
                bad("db non-ASCII", root(r -> r.put("db", "n\u00f6tes")), "bad_request", "/db: must be 1-128"),

                // clientId
                bad("clientId missing", root(r -> r.remove("clientId")), "bad_request", "/clientId: is required"),
                bad("clientId number", root(r -> r.put("clientId", 42)), "bad_request", "/clientId: must be a string"),
                bad("clientId empty", root(r -> r.put("clientId", "")), "bad_request", "/clientId: must be 1-128"),
                bad("clientId 129 chars", root(r -> r.put("clientId", tooLong)), "bad_request", "/clientId: must be 1-128"),
                bad("clientId a/b", root(r -> r.put("clientId", "a/b")), "bad_request", "/clientId: must be 1-128"),
                bad("clientId a=b", root(r -> r.put("clientId", "a=b")), "bad_request", "/clientId: must be 1-128"),
                bad("clientId with space", root(r -> r.put("clientId", "c 1")), "bad_request", "/clientId: must be 1-128"),

                // sentAt
                bad("sentAt missing", root(r -> r.remove("sentAt")), "bad_request", "/sentAt: is required"),
                bad("sentAt string", root(r -> r.put("sentAt", "1763740800123")), "bad_request", "/sentAt: must be an integer"),
                bad("sentAt fraction", root(r -> r.put("sentAt", 1.5)), "bad_request", "/sentAt: must be an integer"),
                bad("sentAt over a long", withRawSentAt("92233720368547758070"), "bad_request", "/sentAt: must be an integer"),

                // changes
                bad("changes missing", root(r -> r.remove("changes")), "bad_request", "/changes: is required"),
                bad("changes null", root(r -> r.putNull("changes")), "bad_request", "/changes: is required"),
                bad("changes object", root(r -> r.putObject("changes")), "bad_request", "/changes: must be an array"),
                bad("changes string", root(r -> r.put("changes", "[]")), "bad_request", "/changes: must be an array"),
                bad("changes empty", root(r -> r.putArray("changes")), "bad_request", "/changes: must hold at least 1"),
                bad("change not an object", root(r -> r.putArray("changes").add(1)), "bad_request", "/changes/0: must be a change object"),

                // seq
                bad("seq missing", change0(c -> c.remove("seq")), "bad_request", "/changes/0/seq: is required"),
                bad("seq 1.5", change0(c -> c.put("seq", 1.5)), "bad_request", "/changes/0/seq: must be an integer"),
                bad("seq \"1\"", change0(c -> c.put("seq", "1")), "bad_request", "/changes/0/seq: must be an integer"),
                bad("seq 0", change0(c -> c.put("seq", 0)), "bad_request", "/changes/0/seq: must be a positive integer"),
                bad("seq -1", change0(c -> c.put("seq", -1)), "bad_request", "/changes/0/seq: must be a positive integer"),
                bad("duplicate seq", change1(c -> c.put("seq", 1)), "bad_request", "/changes/1/seq: seqs must be consecutive"),
                bad("seq gap", change1(c -> c.put("seq", 3)), "bad_request", "/changes/1/seq: seqs must be consecutive"),
                bad("seq descending", withSeqs(5, 4), "bad_request", "/changes/1/seq: seqs must be consecutive"),
                bad("error in the second change", change1(c -> c.put("op", "upsert")), "bad_request", "/changes/1/op"),

                // store
                bad("store missing", change0(c -> c.remove("store")), "bad_request", "/changes/0/store: is required"),
                bad("store number", change0(c -> c.put("store", 1)), "bad_request", "/changes/0/store: must be a string"),
                bad("store a/b", change0(c -> c.put("store", "a/b")), "bad_request", "/changes/0/store: must be 1-128"),
                bad("store a=b", change0(c -> c.put("store", "a=b")), "bad_request", "/changes/0/store: must be 1-128"),
                bad("store 129 chars", change0(c -> c.put("store", tooLong)), "bad_request", "/changes/0/store: must be 1-128"),

                // key
                bad("key missing", change0(c -> c.remove("key")), "bad_request", "/changes/0/key: is required"),
                bad("key boolean", change0(c -> c.put("key", true)), "bad_request", "/changes/0/key: must be a string"),
                bad("key null", change0(c -> c.putNull("key")), "bad_request", "/changes/0/key: must be a string"),
                bad("key object", change0(c -> c.putObject("key")), "bad_request", "/changes/0/key: must be a string"),
                bad("key empty array", change0(c -> c.putArray("key")), "bad_request", "/changes/0/key: an array key must not be empty"),
                bad("key array with a boolean", change0(c -> c.putArray("key").add("a").add(true)), "bad_request",
                        "/changes/0/key/1: must be a string"),
                bad("key nested array with a boolean", change0(c -> c.putArray("key").add("a").addArray().add(1).add(false)),
                        "bad_request", "/changes/0/key/1/1: must be a string"),
                bad("key nested empty array", change0(c -> c.putArray("key").add(1).addArray()), "bad_request",
                        "/changes/0/key/1: an array key must not be empty"),
                bad("key number overflowing a double", withRawKey("1e400"), "bad_request", "/changes/0/key: the number 1E+400 is beyond"),

                // op
                bad("op missing", change0(c -> c.remove("op")), "bad_request", "/changes/0/op: is required"),
                bad("op unknown", change0(c -> c.put("op", "upsert")), "bad_request", "/changes/0/op: must be \"put\" or \"delete\""),
                bad("op upper case", change0(c -> c.put("op", "PUT")), "bad_request", "/changes/0/op: must be \"put\" or \"delete\""),
                bad("op number", change0(c -> c.put("op", 1)), "bad_request", "/changes/0/op: must be a string"),

                // value
                bad("put without value", change0(c -> c.remove("value")), "bad_request", "/changes/0/value: a put needs a value"),
                bad("put with value null", change0(c -> c.putNull("value")), "bad_request", "/changes/0/value: a put needs a value"),
                bad("put with array value", change0(c -> c.putArray("value").add(1)), "bad_request", "/changes/0/value: must be a JSON object"),
                bad("put with string value", change0(c -> c.put("value", "x")), "bad_request", "/changes/0/value: must be a JSON object"),
                bad("put with number value", change0(c -> c.put("value", 3)), "bad_request", "/changes/0/value: must be a JSON object"),
                bad("delete with a value", change0(c -> c.put("op", "delete")), "bad_request",
                        "/changes/0/value: a delete carries no value"),
                bad("delete with an empty value", change0(c -> {
                    c.put("op", "delete");
                    c.putObject("value");
                }), "bad_request", "/changes/0/value: a delete carries no value"),

                // baseVersion
                bad("baseVersion missing", change0(c -> c.remove("baseVersion")), "bad_request", "/changes/0/baseVersion: is required"),
                bad("baseVersion negative", change0(c -> c.put("baseVersion", -1)), "bad_request",
                        "/changes/0/baseVersion: must be 0 or more"),
                bad("baseVersion string", change0(c -> c.put("baseVersion", "0")), "bad_request",
                        "/changes/0/baseVersion: must be an integer"),

                // ts
                bad("ts missing", change0(c -> c.remove("ts")), "bad_request", "/changes/0/ts: is required"),
                bad("ts fraction", change0(c -> c.put("ts", 1.25)), "bad_request", "/changes/0/ts: must be an integer"),

                // fields
                bad("fields not an array", change0(c -> c.put("fields", "done")), "bad_request", "/changes/0/fields: must be an array"),
                bad("fields holding a number", change0(c -> c.putArray("fields").add("title").add(3)), "bad_request",
                        "/changes/0/fields/1: must be a string"),

                // nesting
                bad("2000-deep value", withRawValue("[".repeat(2000) + "]".repeat(2000)), "bad_json", ""),
                bad("2000-deep object value", withRawValue(nestedValue(2000)), "bad_json", ""));
    }

    private static String withRawSentAt(String raw) {
        return "{\"db\":\"notes-app\",\"clientId\":\"c-1\",\"sentAt\":" + raw + ",\"changes\":[" + validChange(1) + "]}";
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void rejectsWholeRequestWith400(String body, String code, String messageStart) {
        ProtocolException e = assertThrows(ProtocolException.class, () -> parse(body));
        assertEquals(400, e.httpStatus(), e.getMessage());
        assertEquals(code, e.code(), e.getMessage());
        assertNotNull(e.getMessage());
        assertTrue(e.getMessage().startsWith(messageStart),
                () -> "message should start with '" + messageStart + "' but was: " + e.getMessage());
    }

    @Test
    void duplicateKeyMessageNamesTheKey() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> parse(
                "{\"db\":\"notes-app\",\"db\":\"x\",\"clientId\":\"c\",\"sentAt\":1,\"changes\":[]}"));
        assertEquals("bad_json", e.code());
        assertTrue(e.getMessage().contains("db"), e.getMessage());
    }

    @Test
    void malformedJsonMessageSaysWhere() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> parse("{\"db\": nope}"));
        assertEquals("bad_json", e.code());
        assertTrue(e.getMessage().contains("line 1"), e.getMessage());
    }

    @Test
    void deepNestingMessageNamesTheParserLimit() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> parse(withRawValue(nestedValue(2000))));
        assertEquals(400, e.httpStatus());
        assertEquals("bad_json", e.code());
        assertTrue(e.getMessage().contains(String.valueOf(Json.MAX_PARSE_DEPTH)), e.getMessage());
    }

    @Test
    void seqGapMessageSaysWhatWasExpected() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> parse(change1(c -> c.put("seq", 3))));
        assertTrue(e.getMessage().contains("expected 2, got 3"), e.getMessage());
    }

    @Test
    void longNameIsAbbreviatedInTheMessage() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> parse(root(r -> r.put("db", rep('a', 5000)))));
        assertTrue(e.getMessage().length() < 300, "message should not echo a 5000-char name: " + e.getMessage().length());
    }

    @Test
    void firstOffendingFieldIsNamed() {
        // both db and clientId are bad; db is checked (and named) first
        ProtocolException e = assertThrows(ProtocolException.class, () -> parse(root(r -> {
            r.put("db", "a/b");
            r.put("clientId", "");
        })));
        assertTrue(e.getMessage().startsWith("/db"), e.getMessage());
    }

    // ------------------------------------------------------------------ too many changes

    @Test
    void moreChangesThanTheLimitIs413NamingTheLimit() {
        EnvelopeParser small = new EnvelopeParser(3);
        byte[] body = validRequest(4).toString().getBytes(StandardCharsets.UTF_8);
        ProtocolException e = assertThrows(ProtocolException.class, () -> small.parse(body, RECEIVED_AT));
        assertEquals(413, e.httpStatus());
        assertEquals("too_large", e.code());
        assertTrue(e.getMessage().startsWith("/changes"), e.getMessage());
        assertTrue(e.getMessage().contains("http.maxChangesPerRequest"), e.getMessage());
        assertTrue(e.getMessage().contains("is 3"), e.getMessage());
        assertTrue(e.getMessage().contains("holds 4"), e.getMessage());

        assertEquals(3, small.parse(validRequest(3).toString().getBytes(StandardCharsets.UTF_8), RECEIVED_AT)
                .changes().size());
    }

    @Test
    void defaultLimitOf1000Changes() {
        ProtocolException e = assertThrows(ProtocolException.class, () -> parse(validRequest(1001).toString()));
        assertEquals(413, e.httpStatus());
        assertEquals("too_large", e.code());
        assertTrue(e.getMessage().contains("1000"), e.getMessage());
    }

    @Test
    void errorBodyHasTheProtocolShape() throws Exception {
        ProtocolException e = assertThrows(ProtocolException.class, () -> parse(change0(c -> c.put("seq", 0))));
        JsonNode body = Json.MAPPER.readTree(e.toJson());
        assertEquals(1, body.size());
        assertEquals("bad_request", body.get("error").get("code").asText());
        assertTrue(body.get("error").get("message").asText().startsWith("/changes/0/seq"));
    }

    // ------------------------------------------------------------------ input bounds (issue 11)

    private static final long MAX_SAFE = 9_007_199_254_740_991L;
    private static final long MAX_DATE = 8_640_000_000_000_000L;

    private static ProtocolException refused(EnvelopeParser p, String body) {
        return assertThrows(ProtocolException.class, () -> p.parse(body.getBytes(StandardCharsets.UTF_8), RECEIVED_AT));
    }

    private static void assertBadRequest(ProtocolException e, String messageStart) {
        assertEquals(400, e.httpStatus(), e.getMessage());
        assertEquals("bad_request", e.code(), e.getMessage());
        assertTrue(e.getMessage().startsWith(messageStart),
                () -> "message should start with '" + messageStart + "' but was: " + e.getMessage());
        assertTrue(e.getMessage().length() < 500, e.getMessage());
    }

    @Test
    void sentAtWithAHugeExponentIsA400AndNeverExpanded() {
        // 80 bytes that used to be expanded into a billion digits (OutOfMemoryError, no answer)
        String body = "{\"db\":\"a\",\"clientId\":\"c\",\"sentAt\":1e999999999,\"changes\":[{\"seq\":1}]}";
        ProtocolException e = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(2), () -> refused(parser, body));
        assertBadRequest(e, "/sentAt: ");
        assertTrue(e.getMessage().contains("1E+999999999"), e.getMessage());
    }

    static Stream<Arguments> outOfBoundNumbers() {
        return Stream.of(
                Arguments.of("{\"title\":\"t\",\"n\":1e999999999}", "/changes/0/value/n: the number 1E+999999999 is beyond"),
                Arguments.of("{\"title\":\"t\",\"n\":-1e999999999}", "/changes/0/value/n: the number -1E+999999999 is beyond"),
                Arguments.of("{\"title\":\"t\",\"n\":[1,-1e-999999999]}", "/changes/0/value/n/1: the number -1E-999999999 has a decimal exponent below -400"),
                Arguments.of("{\"title\":\"t\",\"n\":{\"m\":1e-401}}", "/changes/0/value/n/m: the number 1E-401 has a decimal exponent below"),
                Arguments.of("{\"title\":\"t\",\"n\":1.8e308}", "/changes/0/value/n: the number 1.8E+308 is beyond"),
                Arguments.of("{\"title\":\"t\",\"n\":1" + "0".repeat(400) + "}", "/changes/0/value/n: the integer 1000"),
                Arguments.of("{\"title\":\"t\",\"a/b~\":1e400}", "/changes/0/value/a~1b~0: the number"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("outOfBoundNumbers")
    void numbersAnywhereMustBeFiniteDoublesWithASaneExponent(String value, String messageStart) {
        assertBadRequest(refused(parser, withRawValue(value)), messageStart);
    }

    @Test
    void numbersAtTheEdgesOfADoubleAreAccepted() {
        PushRequest req = parse(withRawValue("{\"title\":\"t\",\"max\":1.7976931348623157e308,\"min\":4.9e-324,"
                + "\"low\":1e-400,\"zero\":0e-400,\"neg\":-1.7976931348623157e308}"));
        assertEquals(Double.MAX_VALUE, req.changes().get(0).value().get("max").doubleValue());
        assertEquals(Double.MIN_VALUE, req.changes().get(0).value().get("min").doubleValue());
    }

    @Test
    void hugeNumbersInKeysAndFieldsAreRefusedToo() {
        assertBadRequest(refused(parser, withRawKey("[\"a\",1e999999999]")), "/changes/0/key/1: the number");
        assertBadRequest(refused(parser, change0(c -> c.putArray("fields").add("title")).replace("[\"title\"]",
                "[\"title\",-1e-999999999]")), "/changes/0/fields/1: the number");
    }

    @Test
    void aNumberLongerThanTheParserLimitHasItsOwnMessage() {
        ProtocolException e = refused(parser, withRawValue("{\"title\":\"t\",\"n\":0." + "1".repeat(2000) + "}"));
        assertEquals(400, e.httpStatus());
        assertEquals("bad_json", e.code());
        assertTrue(e.getMessage().startsWith("a number in the body is longer than 1000 characters"), e.getMessage());
        assertTrue(!e.getMessage().contains("nests"), e.getMessage());
    }

    @Test
    void aFieldNameLongerThanTheParserLimitHasItsOwnMessage() {
        ProtocolException e = refused(parser, withRawValue("{\"title\":\"t\",\"" + "n".repeat(60_000) + "\":1}"));
        assertEquals("bad_json", e.code());
        assertTrue(e.getMessage().startsWith("an object field name in the body is longer than 50000"), e.getMessage());
    }

    static Stream<Arguments> outOfRangeIntegers() {
        return Stream.of(
                Arguments.of(change0(c -> c.put("seq", MAX_SAFE + 1)), "/changes/0/seq: must be a positive integer of at most 9007199254740991"),
                Arguments.of(withSeqs(MAX_SAFE, 1), "/changes/1/seq: seqs must be consecutive and ascending within a request, and the one after 9007199254740991"),
                Arguments.of(withSeqs(Long.MAX_VALUE, Long.MIN_VALUE), "/changes/0/seq: must be a positive integer"),
                Arguments.of(change0(c -> c.put("baseVersion", MAX_SAFE + 1)), "/changes/0/baseVersion: must be 0 or more and at most 9007199254740991"),
                Arguments.of(root(r -> r.put("sentAt", -1)), "/sentAt: must be an integer from 0 to 8640000000000000"),
                Arguments.of(root(r -> r.put("sentAt", MAX_DATE + 1)), "/sentAt: must be an integer from 0 to 8640000000000000"),
                Arguments.of(root(r -> r.put("sentAt", Long.MIN_VALUE)), "/sentAt: must be an integer from 0"),
                Arguments.of(change0(c -> c.put("ts", -1)), "/changes/0/ts: must be an integer from 0 to 8640000000000000"),
                Arguments.of(change0(c -> c.put("ts", Long.MAX_VALUE)), "/changes/0/ts: must be an integer from 0 to 8640000000000000"),
                Arguments.of(withRawSentAt("1" + "0".repeat(300)), "/sentAt: must be an integer from 0"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("outOfRangeIntegers")
    void envelopeIntegersMustBeInRange(String body, String messageStart) {
        assertBadRequest(refused(parser, body), messageStart);
    }

    @Test
    void envelopeIntegersAtTheirEdgesAreAccepted() {
        PushRequest req = parse(root(r -> {
            r.put("sentAt", MAX_DATE);
            ObjectNode c = (ObjectNode) r.get("changes").get(0);
            c.put("seq", MAX_SAFE);
            c.put("baseVersion", MAX_SAFE);
            c.put("ts", 0);
        }));
        assertEquals(MAX_SAFE, req.changes().get(0).seq());
        assertEquals(MAX_DATE, req.sentAt());
    }

    static Stream<Arguments> loneSurrogates() {
        return Stream.of(
                Arguments.of(withRawKey("\"\\ud800\""), "/changes/0/key: the string \"\\ud800\" holds a lone UTF-16 surrogate at char 0"),
                Arguments.of(withRawKey("[\"a\",\"x\\udc00\"]"), "/changes/0/key/1: the string \"x\\udc00\" holds a lone UTF-16 surrogate at char 1"),
                Arguments.of(withRawValue("{\"title\":\"ab\\ud83d\"}"), "/changes/0/value/title: the string"),
                Arguments.of(withRawValue("{\"title\":\"t\",\"a\":[{\"b\":\"\\ude00\\ud83d\"}]}"), "/changes/0/value/a/0/b: the string"));
    }

    @ParameterizedTest(name = "{1}")
    @MethodSource("loneSurrogates")
    void loneSurrogatesAnywhereAreRefused(String body, String messageStart) {
        ProtocolException e = refused(parser, body);
        assertBadRequest(e, messageStart);
        assertEquals(-1, BodyBounds.loneSurrogate(e.getMessage()), "the message itself is well-formed");
    }

    @Test
    void aLoneSurrogateEscapedInAFieldNameIsRefusedByTheParser() {
        // Jackson checks escapes in names itself; the 400 names line and column instead of a pointer
        for (String body : List.of(withRawValue("{\"title\":\"t\",\"x\\ud800y\":1}"),
                "{\"db\":\"notes-app\",\"clientId\":\"c\",\"\\udfff\":1,\"sentAt\":1,\"changes\":[]}")) {
            ProtocolException e = refused(parser, body);
            assertEquals(400, e.httpStatus());
            assertEquals("bad_json", e.code());
            assertTrue(e.getMessage().contains("surrogate") && e.getMessage().contains("line 1"), e.getMessage());
        }
    }

    @Test
    void aLoneSurrogateSentAsRawCesuBytesInAFieldNameIsRefused() {
        byte[] body = withRawValue("{\"title\":\"t\",\"x@\":1}").getBytes(StandardCharsets.UTF_8);
        byte[] cesu = new byte[body.length + 2];
        int at = withRawValue("{\"title\":\"t\",\"x@\":1}").indexOf('@'); // ASCII: char index = byte index
        System.arraycopy(body, 0, cesu, 0, at);
        cesu[at] = (byte) 0xED; // U+DC00 as a 3-byte sequence in place of '@'
        cesu[at + 1] = (byte) 0xB0;
        cesu[at + 2] = (byte) 0x80;
        System.arraycopy(body, at + 1, cesu, at + 3, body.length - at - 1);
        ProtocolException e = assertThrows(ProtocolException.class, () -> parser.parse(cesu, RECEIVED_AT));
        assertEquals(400, e.httpStatus(), e.getMessage());
        assertEquals("bad_json", e.code());
        assertTrue(e.getMessage().startsWith("the body is not valid JSON: Invalid UTF-8: Illegal surrogate character 0xdc00"),
                e.getMessage());
    }

    @Test
    void aLoneSurrogateSentAsRawCesuBytesIsRefused() {
        byte[] head = "{\"db\":\"notes-app\",\"clientId\":\"c\",\"sentAt\":1,\"changes\":[{\"seq\":1,\"store\":\"notes\",\"key\":\""
                .getBytes(StandardCharsets.UTF_8);
        byte[] tail = "\",\"op\":\"delete\",\"baseVersion\":0,\"ts\":1}]}".getBytes(StandardCharsets.UTF_8);
        byte[] body = new byte[head.length + 3 + tail.length];
        System.arraycopy(head, 0, body, 0, head.length);
        body[head.length] = (byte) 0xED; // U+D800 encoded as if it were a character (CESU-8 / WTF-8)
        body[head.length + 1] = (byte) 0xA0;
        body[head.length + 2] = (byte) 0x80;
        System.arraycopy(tail, 0, body, head.length + 3, tail.length);
        ProtocolException e = assertThrows(ProtocolException.class, () -> parser.parse(body, RECEIVED_AT));
        assertEquals(400, e.httpStatus(), e.getMessage());
        assertEquals("bad_json", e.code());
        assertTrue(e.getMessage().startsWith("the body is not valid JSON: Invalid UTF-8: Illegal surrogate character 0xd800"),
                e.getMessage());
    }

    @Test
    void surrogatePairsAndTheReplacementCharAreFine() {
        PushRequest req = parse(withRawKey("[\"\\ud83d\\ude00\",\"?\",\"\ufffd\"]"));
        assertEquals("[\"\ud83d\ude00\",\"?\",\"\ufffd\"]", req.changes().get(0).keyString());
    }

    @Test
    void aDbThatIsNotConfiguredIsA400AtDbThatListsNothing() {
        EnvelopeParser configured = new EnvelopeParser(1000, db -> db.equals("notes-app"));
        ProtocolException e = refused(configured, root(r -> r.put("db", "other-db")));
        assertBadRequest(e, "/db: \"other-db\" is not configured on this server");
        assertTrue(!e.getMessage().contains("notes-app"), "must not list the configured dbs: " + e.getMessage());
        assertEquals(1, configured.parse(root(r -> { }).getBytes(StandardCharsets.UTF_8), RECEIVED_AT).changes().size());
    }

    @Test
    void tsIsClampedToSentAtBeforeSkewCorrection() {
        long sentAt = 1_763_740_800_000L;
        long eightyYears = 80L * 365 * 24 * 3600 * 1000;
        PushRequest req = parse(root(r -> {
            r.put("sentAt", sentAt);
            ((ObjectNode) r.get("changes").get(0)).put("ts", sentAt + eightyYears);
        }));
        Change c = req.changes().get(0);
        assertEquals(sentAt + eightyYears, c.ts(), "the change keeps ts as sent");
        assertEquals(RECEIVED_AT, c.correctedTs(), "made no later than it was sent: corrected to the receive time");

        Change past = parse(root(r -> {
            r.put("sentAt", sentAt);
            ((ObjectNode) r.get("changes").get(0)).put("ts", sentAt - 5000);
        })).changes().get(0);
        assertEquals(RECEIVED_AT - 5000, past.correctedTs());
    }

    @Test
    void correctedTsCannotOverflow() {
        Change c = new Change("d", "c", 1, "s", F.textNode("k"), "\"k\"", Op.DELETE, null, 0, Long.MIN_VALUE, null,
                Long.MAX_VALUE, 0);
        assertTrue(c.correctedTs() <= -Long.MAX_VALUE, "saturated as old as can be, not wrapped: " + c.correctedTs());
        Change d = new Change("d", "c", 1, "s", F.textNode("k"), "\"k\"", Op.DELETE, null, 0, Long.MAX_VALUE, null,
                Long.MIN_VALUE, Long.MAX_VALUE);
        assertEquals(Long.MAX_VALUE, d.correctedTs(), "ts clamped to sentAt: no skew added beyond receivedAt");
    }
}
