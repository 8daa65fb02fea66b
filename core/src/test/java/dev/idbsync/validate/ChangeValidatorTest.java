package dev.idbsync.validate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.config.LimitsConfig;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Keys;
import dev.idbsync.protocol.Op;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Named;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ChangeValidatorTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    /** The example app's schema as the repository ships it (surefire runs in the module directory). */
    private static final String NOTES_SCHEMA = readNotesSchema();

    private static String readNotesSchema() {
        try {
            return Files.readString(Path.of("..", "conf", "schemas", "notes-app", "notes.schema.json"),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static StoreConfig notesStore() {
        return new StoreConfig("notes-app", "notes", NOTES_SCHEMA, "notes.schema.json", "lww", null);
    }

    /** notes-app with the schema'd store {@code notes} and the schema-less store {@code blobs}. */
    private static SyncConfig config(LimitsConfig limits) {
        return SyncConfig.builder()
                .limits(limits)
                .store(notesStore())
                .store(new StoreConfig("notes-app", "blobs", null, null, null, null))
                .build();
    }

    private static final ChangeValidator VALIDATOR = new ChangeValidator(config(LimitsConfig.defaults()));

    // ------------------------------------------------------------------ test data

    private static ObjectNode json(String s) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Builds {@link Change}s; every field starts valid for notes-app/notes. */
    static final class ChangeBuilder {
        private String db = "notes-app";
        private String clientId = "c-1";
        private long seq = 1;
        private String store = "notes";
        private JsonNode key = F.textNode("n-1");
        private Op op = Op.PUT;
        private ObjectNode value = json("{\"title\": \"Buy milk\", \"done\": false}");

        ChangeBuilder db(String v) {
            db = v;
            return this;
        }

        ChangeBuilder store(String v) {
            store = v;
            return this;
        }

        ChangeBuilder key(JsonNode v) {
            key = v;
            return this;
        }

        ChangeBuilder key(String v) {
            return key(F.textNode(v));
        }

        ChangeBuilder value(ObjectNode v) {
            value = v;
            return this;
        }

        ChangeBuilder value(String v) {
            return value(json(v));
        }

        ChangeBuilder delete() {
            op = Op.DELETE;
            value = null;
            return this;
        }

        Change build() {
            return new Change(db, clientId, seq, store, key, Keys.canonical(key), op, value, 0, 1_000L, null,
                    2_000L, 2_500L);
        }
    }

    private static ChangeBuilder change() {
        return new ChangeBuilder();
    }

    /** A value object whose nesting is exactly {@code levels} (the value object itself is level 1). */
    private static ObjectNode nested(int levels) {
        ObjectNode root = F.objectNode();
        root.put("title", "deep");
        ObjectNode cur = root;
        for (int i = 2; i <= levels; i++) {
            cur = cur.putObject("n");
        }
        return root;
    }

    /** A value nested {@code levels} deep through arrays. */
    private static ObjectNode nestedArrays(int levels) {
        ObjectNode root = F.objectNode();
        root.put("title", "deep");
        ArrayNode cur = root.putArray("a");
        for (int i = 3; i <= levels; i++) {
            cur = cur.addArray();
        }
        cur.add(1);
        return root;
    }

    /** {"title":"x","body":"..."} of exactly {@code bytes} bytes as compact JSON. */
    private static ObjectNode valueOfBytes(int bytes) {
        int overhead = "{\"title\":\"x\",\"body\":\"\"}".length();
        ObjectNode v = F.objectNode();
        v.put("title", "x");
        v.put("body", "b".repeat(bytes - overhead));
        return v;
    }

    private static void assertRejected(ChangeError e, String code, String path, String... messageParts) {
        assertNotNull(e, "the change should be rejected with " + code);
        assertEquals(code, e.code(), () -> "message: " + e.message());
        assertEquals(path, e.path(), () -> "message: " + e.message());
        for (String part : messageParts) {
            assertTrue(e.message().contains(part), () -> "message should contain '" + part + "' but was: " + e.message());
        }
    }

    // ------------------------------------------------------------------ accepted

    static Stream<Arguments> accepted() {
        return Stream.of(
                Arguments.of(Named.of("valid put", change().build())),
                Arguments.of(Named.of("put without done", change().value("{\"title\": \"x\"}").build())),
                Arguments.of(Named.of("put with extra fields", change().value("{\"title\": \"x\", \"tags\": [\"a\"], "
                        + "\"meta\": {\"color\": \"red\"}}").build())),
                Arguments.of(Named.of("title of 500 chars", change().value(F.objectNode().put("title", "t".repeat(500))).build())),
                Arguments.of(Named.of("title of 1 char", change().value("{\"title\": \"t\"}").build())),
                Arguments.of(Named.of("title of 500 non-BMP chars (code points)",
                        change().value(F.objectNode().put("title", "\ud83d\ude00".repeat(500))).build())),
                Arguments.of(Named.of("delete", change().delete().build())),
                Arguments.of(Named.of("delete with array key", change().delete().key(F.arrayNode().add("2026").add(7)).build())),
                Arguments.of(Named.of("number key", change().key(F.numberNode(7)).build())),
                Arguments.of(Named.of("key of exactly 1024 canonical bytes", change().key("k".repeat(1022)).build())),
                Arguments.of(Named.of("value of exactly maxValueBytes", change().value(valueOfBytes(262_144)).build())),
                Arguments.of(Named.of("value exactly 32 levels deep", change().value(nested(32)).build())),
                Arguments.of(Named.of("value exactly 32 levels deep through arrays", change().value(nestedArrays(32)).build())),
                Arguments.of(Named.of("schema-less store takes any object",
                        change().store("blobs").value("{\"anything\": [1, {\"x\": null}], \"title\": 5}").build())),
                Arguments.of(Named.of("schema-less store takes an empty object", change().store("blobs").value("{}").build())),
                Arguments.of(Named.of("schema-less store delete", change().store("blobs").delete().build())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accepted")
    void accepts(Change c) {
        ChangeError e = VALIDATOR.check(c);
        assertNull(e, () -> "expected no error, got " + e);
    }

    // ------------------------------------------------------------------ rejected

    static Stream<Arguments> rejected() {
        return Stream.of(
                rej("missing title", change().value("{\"done\": false}").build(),
                        "schema", "/value/title", "required property 'title' is missing"),
                rej("empty value", change().value("{}").build(),
                        "schema", "/value/title", "required property 'title' is missing"),
                rej("title too long", change().value(F.objectNode().put("title", "t".repeat(501))).build(),
                        "schema", "/value/title", "500"),
                rej("title empty", change().value("{\"title\": \"\"}").build(),
                        "schema", "/value/title", "1"),
                rej("title a number", change().value("{\"title\": 5}").build(),
                        "schema", "/value/title", "string"),
                rej("title null", change().value("{\"title\": null}").build(),
                        "schema", "/value/title", "string"),
                rej("title an object", change().value("{\"title\": {\"text\": \"x\"}}").build(),
                        "schema", "/value/title", "string"),
                rej("done a string", change().value("{\"title\": \"x\", \"done\": \"yes\"}").build(),
                        "schema", "/value/done", "boolean"),
                rej("done a number", change().value("{\"title\": \"x\", \"done\": 1}").build(),
                        "schema", "/value/done", "boolean"),
                rej("missing title and bad done: the missing title comes first",
                                change().value("{\"done\": \"no\"}").build(),
                        "schema", "/value/title", "required property 'title' is missing"),

                rej("unknown store", change().store("todos").build(),
                        "unknown_store", "/store", "todos"),
                rej("unknown store on a delete", change().store("todos").delete().build(),
                        "unknown_store", "/store", "todos", "notes"),
                rej("unknown db", change().db("other-app").build(),
                        "unknown_store", "/store", "other-app"),

                rej("key 1025 canonical bytes", change().key("k".repeat(1023)).build(),
                        "key_too_large", "/key", "1025", "limits.maxKeyBytes", "1024"),
                rej("key over 1 KiB in UTF-8 only", change().key("\u00e9".repeat(512)).build(),
                        "key_too_large", "/key", "1026", "limits.maxKeyBytes"),
                rej("array key over 1 KiB", change().key(bigArrayKey()).build(),
                        "key_too_large", "/key", "limits.maxKeyBytes"),
                rej("delete with a key over 1 KiB", change().delete().key("k".repeat(2000)).build(),
                        "key_too_large", "/key", "2002"),

                rej("value 1 byte over maxValueBytes", change().value(valueOfBytes(262_145)).build(),
                        "too_large", "/value", "262145", "limits.maxValueBytes", "262144"),
                rej("schema-less value over maxValueBytes",
                                change().store("blobs").value(valueOfBytes(300_000)).build(),
                        "too_large", "/value", "300000", "limits.maxValueBytes"),
                rej("value 33 levels deep", change().value(nested(33)).build(),
                        "too_deep", "/value", "33", "limits.maxValueDepth", "32"),
                rej("value 33 levels deep through arrays", change().value(nestedArrays(33)).build(),
                        "too_deep", "/value", "33", "limits.maxValueDepth"),
                rej("value 200 levels deep", change().value(nested(200)).build(),
                        "too_deep", "/value", "200", "limits.maxValueDepth"),
                rej("schema-less value 33 levels deep", change().store("blobs").value(nested(33)).build(),
                        "too_deep", "/value", "33"));
    }

    private static ArrayNode bigArrayKey() {
        ArrayNode a = F.arrayNode();
        for (int i = 0; i < 200; i++) {
            a.add("item" + i);
        }
        return a;
    }

    private static Arguments rej(String name, Change c, String code, String path, String... messageParts) {
        return Arguments.of(Named.of(name, c), code, path, List.of(messageParts));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("rejected")
    void rejects(Change c, String code, String path, List<String> messageParts) {
        assertRejected(VALIDATOR.check(c), code, path, messageParts.toArray(new String[0]));
    }

    @Test
    void missingTitleHasTheExactProtocolError() {
        ChangeError e = VALIDATOR.check(change().value("{\"done\": true}").build());
        assertEquals(new ChangeError("schema", "/value/title", "required property 'title' is missing"), e);
    }

    @Test
    void unknownDbMessageIsExact() {
        ChangeError e = VALIDATOR.check(change().db("nope").build());
        assertEquals(new ChangeError("unknown_store", "/store",
                "db 'nope' is not configured on this server; send a configured db"), e);
    }

    /** Any caller may send a wrong name: the answer names what was sent, never what is configured. */
    @Test
    void unknownStoreNamesOnlyWhatWasSent() {
        ChangeError e = VALIDATOR.check(change().store("todos").build());
        assertEquals(new ChangeError("unknown_store", "/store",
                "db 'notes-app' has no store 'todos'; send one of the db's configured stores"), e);
        for (ChangeError x : List.of(e, VALIDATOR.check(change().db("other-app").build()))) {
            assertTrue(!x.message().contains("notes'") && !x.message().contains("blobs"), x.message());
        }
    }

    // ------------------------------------------------------------------ the validator fails

    /**
     * A store schema whose pattern recurses once per character: java.util.regex overflows the stack
     * on a long string. The change is rejected; nothing is thrown to the bolt (which would kill the
     * worker, and the client's retry would kill the next one).
     */
    @Test
    void aStackOverflowInTheSchemaLibraryRejectsTheChange() throws Exception {
        String schema = "{\"type\": \"object\", \"properties\": {\"text\": {\"type\": \"string\", \"pattern\": \"^(a|b)*$\"}}}";
        SyncConfig cfg = SyncConfig.builder()
                .store(new StoreConfig("notes-app", "deep", schema, "deep.schema.json", "lww", null))
                .build();
        ChangeValidator v = new ChangeValidator(cfg);
        // a short string passes and a wrong one fails the pattern as usual
        assertNull(v.check(change().store("deep").value("{\"text\": \"abba\"}").build()));
        assertRejected(v.check(change().store("deep").value("{\"text\": \"abc\"}").build()), "schema", "/value/text");

        Change big = change().store("deep").value(F.objectNode().put("text", "ab".repeat(100_000))).build();
        // on a thread with the JVM's default stack size, like a Storm executor's
        ChangeError[] out = new ChangeError[1];
        Throwable[] thrown = new Throwable[1];
        Thread t = new Thread(() -> {
            try {
                out[0] = v.check(big);
            } catch (Throwable e) {
                thrown[0] = e;
            }
        });
        t.start();
        t.join(60_000);
        assertNull(thrown[0], () -> "check threw " + thrown[0]);
        assertRejected(out[0], "validation_failed", "/value", "store 'deep' of db 'notes-app'", "StackOverflowError",
                "dbs.notes-app.stores.deep.schema");
        assertTrue(!out[0].message().contains("\tat ") && out[0].message().length() < 400, out[0].message());
        // and the validator goes on working
        assertNull(v.check(change().store("deep").value("{\"text\": \"ab\"}").build()));
    }

    @Test
    void aRuntimeExceptionOrLinkageErrorRejectsButOutOfMemoryIsNotSwallowed() {
        for (Throwable boom : List.of(new IllegalStateException("boom"), new NoClassDefFoundError("x/Y"),
                new OutOfMemoryError("heap"))) {
            // a value that throws when it is walked stands in for a library that throws
            ObjectNode value = new ObjectNode(F) {
                @Override
                public java.util.Iterator<JsonNode> elements() {
                    if (boom instanceof RuntimeException r) {
                        throw r;
                    }
                    throw (Error) boom;
                }
            };
            Change throwing = change().value(value).build();
            if (boom instanceof OutOfMemoryError) {
                assertThrows(OutOfMemoryError.class, () -> VALIDATOR.check(throwing));
            } else {
                assertRejected(VALIDATOR.check(throwing), "validation_failed", "/value", boom.getClass().getSimpleName());
            }
        }
    }

    @Test
    void tooDeepIsCheckedBeforeSizeAndSchema() {
        // 200 levels, no title, tiny: the nesting is what is reported
        ObjectNode v = F.objectNode();
        ObjectNode cur = v;
        for (int i = 2; i <= 200; i++) {
            cur = cur.putObject("n");
        }
        assertRejected(VALIDATOR.check(change().value(v).build()), "too_deep", "/value", "200");
    }

    @Test
    void unknownStoreIsCheckedBeforeTheKey() {
        assertRejected(VALIDATOR.check(change().store("todos").key("k".repeat(5000)).build()),
                "unknown_store", "/store", "todos");
    }

    @Test
    void depthCountsTheValueObjectAsLevelOne() {
        assertEquals(1, ChangeValidator.depth(json("{}")));
        assertEquals(1, ChangeValidator.depth(json("{\"a\": 1, \"b\": \"x\"}")));
        assertEquals(2, ChangeValidator.depth(json("{\"a\": {}}")));
        assertEquals(2, ChangeValidator.depth(json("{\"a\": []}")));
        assertEquals(3, ChangeValidator.depth(json("{\"a\": [1, {\"b\": 2}], \"c\": {}}")));
        assertEquals(32, ChangeValidator.depth(nested(32)));
        assertEquals(33, ChangeValidator.depth(nestedArrays(33)));
        assertEquals(900, ChangeValidator.depth(nested(900)));
    }

    // ------------------------------------------------------------------ configured limits

    @Test
    void configuredLimitsApply() {
        ChangeValidator v = new ChangeValidator(config(new LimitsConfig(64, 2, 16)));

        assertNull(v.check(change().value("{\"title\": \"x\", \"o\": {}}").build()));
        assertRejected(v.check(change().value("{\"title\": \"x\", \"o\": {\"p\": {}}}").build()),
                "too_deep", "/value", "3", "limits.maxValueDepth", "2");

        assertNull(v.check(change().value(valueOfBytes(64)).build()));
        assertRejected(v.check(change().value(valueOfBytes(65)).build()), "too_large", "/value", "65", "64");

        assertNull(v.check(change().key("k".repeat(14)).build()));
        assertRejected(v.check(change().key("k".repeat(15)).build()), "key_too_large", "/key", "17", "16");
    }

    /**
     * PROTOCOL.md: the key limit applies to the canonical form, "its JSON with numbers in shortest
     * form". An array of 140 copies of 1e300 is 841 bytes as [1e300,...] (981 as [1e+300,...]),
     * under the 1 KiB default, so the change must not be {@code key_too_large}.
     */
    @Test
    void keyLimitAppliesToTheShortestNumberForm() {
        ArrayNode key = F.arrayNode();
        for (int i = 0; i < 140; i++) {
            key.add(F.numberNode(1e300));
        }
        ChangeError e = VALIDATOR.check(change().key(key).build());
        assertNull(e, () -> "expected no error, got " + e);
    }

    // ------------------------------------------------------------------ schemas

    @Test
    void schemasAreKeptPerDbAndStore() {
        SyncConfig cfg = SyncConfig.builder()
                .store(new StoreConfig("a", "s", "{\"type\": \"object\", \"required\": [\"x\"]}", "a.json", null, null))
                .store(new StoreConfig("b", "s", "{\"type\": \"object\", \"required\": [\"y\"]}", "b.json", null, null))
                .build();
        ChangeValidator v = new ChangeValidator(cfg);
        assertNull(v.check(change().db("a").store("s").value("{\"x\": 1}").build()));
        assertRejected(v.check(change().db("a").store("s").value("{\"y\": 1}").build()),
                "schema", "/value/x", "required property 'x' is missing");
        assertNull(v.check(change().db("b").store("s").value("{\"y\": 1}").build()));
        assertRejected(v.check(change().db("b").store("s").value("{\"x\": 1}").build()),
                "schema", "/value/y", "required property 'y' is missing");
    }

    @Test
    void schemaWithoutDraftUsesTheDefaultDraft() {
        SyncConfig cfg = SyncConfig.builder()
                .store(new StoreConfig("a", "s", "{\"properties\": {\"n\": {\"type\": \"integer\", \"maximum\": 3}}}",
                        "s.json", null, null))
                .build();
        ChangeValidator v = new ChangeValidator(cfg);
        assertNull(v.check(change().db("a").store("s").value("{\"n\": 3}").build()));
        assertRejected(v.check(change().db("a").store("s").value("{\"n\": 4}").build()), "schema", "/value/n", "3");
    }

    @Test
    void nestedSchemaErrorsNameTheNestedPointer() {
        SyncConfig cfg = SyncConfig.builder()
                .store(new StoreConfig("a", "s", """
                        {"type": "object", "properties": {"items": {"type": "array",
                          "items": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}}}}
                        """, "s.json", null, null))
                .build();
        ChangeValidator v = new ChangeValidator(cfg);
        assertRejected(v.check(change().db("a").store("s").value("{\"items\": [{\"id\": 1}, {\"id\": \"x\"}]}").build()),
                "schema", "/value/items/1/id", "integer");
        assertRejected(v.check(change().db("a").store("s").value("{\"items\": [{\"id\": 1}, {}]}").build()),
                "schema", "/value/items/1/id", "required property 'id' is missing");
    }

    static Stream<Arguments> escapedPointers() {
        return Stream.of(
                Arguments.of(Named.of("missing property with '/'", "{}"), "/value/a~1b", "required property 'a/b' is missing"),
                Arguments.of(Named.of("wrong type under '~'", "{\"a/b\": 1, \"x~y\": 5}"), "/value/x~0y", "string"),
                Arguments.of(Named.of("missing nested property with '~'", "{\"a/b\": 1, \"p/q\": {}}"),
                        "/value/p~1q/m~0n", "required property 'm~n' is missing"));
    }

    /** RFC 6901: '~' is written ~0 and '/' is written ~1 in a JSON pointer, wherever the name comes from. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("escapedPointers")
    void schemaPathsAreEscapedJsonPointers(String value, String path, String messagePart) {
        SyncConfig cfg = SyncConfig.builder()
                .store(new StoreConfig("a", "s", """
                        {"type": "object", "required": ["a/b"], "properties": {
                          "x~y": {"type": "string"},
                          "p/q": {"type": "object", "required": ["m~n"]}}}
                        """, "s.json", null, null))
                .build();
        ChangeValidator v = new ChangeValidator(cfg);
        assertRejected(v.check(change().db("a").store("s").value(value).build()), "schema", path, messagePart);
    }

    /**
     * A schema error can quote the value's own property names (the pointer of a bad value under a
     * name, the name that additionalProperties refuses), and a name is bounded only by the value
     * limit: the path and the message are cut at {@link ChangeValidator#MAX_ERROR_TEXT} characters,
     * since the error is answered, kept in the outcome and in the rejected-changes log.
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {
        "{\"type\": \"object\", \"additionalProperties\": false}",
        "{\"type\": \"object\", \"additionalProperties\": {\"type\": \"string\"}}"})
    void aSchemaErrorQuotingAHugePropertyNameIsBounded(String schema) {
        SyncConfig cfg = SyncConfig.builder().store(new StoreConfig("a", "s", schema, "s.json", null, null)).build();
        ChangeValidator v = new ChangeValidator(cfg);
        String name = "n".repeat(40_000); // under the parser's 50,000-char name limit
        ObjectNode value = F.objectNode();
        value.put(name, 5);
        ChangeError e = v.check(change().db("a").store("s").value(value).build());
        assertNotNull(e);
        assertEquals("schema", e.code());
        assertTrue(e.path().startsWith("/value"), e.path().length() > 100 ? e.path().substring(0, 100) : e.path());
        assertTrue(e.path().length() <= ChangeValidator.MAX_ERROR_TEXT + 3, "path is " + e.path().length() + " chars");
        assertTrue(e.message().length() <= ChangeValidator.MAX_ERROR_TEXT + 3,
                "message is " + e.message().length() + " chars");
        assertTrue(e.path().contains("nnnn") || e.message().contains("nnnn"), "the error still shows the name's start");
        // a short name is quoted whole, as before
        ObjectNode small = F.objectNode();
        small.put("extra", 5);
        ChangeError s = v.check(change().db("a").store("s").value(small).build());
        assertTrue((s.path() + " " + s.message()).contains("extra"), s.path() + " " + s.message());
        assertFalse((s.path() + s.message()).endsWith("..."), s.message());
    }

    static Stream<Arguments> unusableSchemas() {
        return Stream.of(
                Arguments.of(Named.of("type is a number", "{\"type\": 12}")),
                Arguments.of(Named.of("type is an unknown name", "{\"type\": \"strng\"}")),
                Arguments.of(Named.of("required is not an array", "{\"required\": \"title\"}")),
                Arguments.of(Named.of("properties is not an object", "{\"properties\": [1]}")),
                Arguments.of(Named.of("minLength is a string", "{\"properties\": {\"t\": {\"minLength\": \"one\"}}}")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unusableSchemas")
    void unusableSchemaStopsStartUpNamingTheStore(String schema) {
        SyncConfig cfg = SyncConfig.builder()
                .store(new StoreConfig("notes-app", "notes", schema, "bad.schema.json", null, null))
                .build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ChangeValidator(cfg));
        assertTrue(e.getMessage().startsWith("dbs.notes-app.stores.notes.schema"), e.getMessage());
        assertTrue(e.getMessage().contains("bad.schema.json"), e.getMessage());
    }

    @Test
    void errorsSerializeWithTheirPath() throws Exception {
        ChangeError e = VALIDATOR.check(change().value("{}").build());
        JsonNode n = Json.MAPPER.readTree(Json.MAPPER.writeValueAsString(e));
        assertEquals("schema", n.get("code").asText());
        assertEquals("/value/title", n.get("path").asText());
        assertEquals("required property 'title' is missing", n.get("message").asText());
        assertEquals(List.of("code", "message", "path"),
                Stream.of("code", "message", "path").filter(n::has).toList());
    }
}
