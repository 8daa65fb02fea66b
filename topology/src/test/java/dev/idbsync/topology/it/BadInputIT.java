package dev.idbsync.topology.it;

import static dev.idbsync.topology.it.Push.note;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.ignite.SyncCaches;
import dev.idbsync.ignite.ThinClientFactory;
import dev.idbsync.config.LimitsConfig;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.protocol.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** What an anonymous caller sends cannot kill a worker or make the server keep it whole. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputIT {
    /** A pattern that recurses once per character in java.util.regex: a long string overflows the stack. */
    private static final String OVERFLOWING_SCHEMA = """
            {"type": "object", "properties": {"text": {"type": "string", "pattern": "^(a|b)*$"}}}""";
    /** A common schema whose error quotes the name of a property it refuses. */
    private static final String CLOSED_SCHEMA = """
            {"type": "object", "properties": {"title": {"type": "string"}}, "additionalProperties": false}""";
    /** Bytes a stored rejected entry, outcome or file line may take with a 16 KiB value bound. */
    private static final int STORED_BOUND = 20 * 1024;

    @TempDir
    static Path dir;
    private TestStack stack;
    private Path filesRoot;

    @BeforeAll
    void start() throws Exception {
        filesRoot = Files.createDirectories(dir.resolve("files"));
        stack = TestStack.start(TestStack.localConfig(dir.resolve("data"), b -> {
            List<StoreConfig> stores = new ArrayList<>(b.build().allStores());
            stores.add(new StoreConfig("notes-app", "patterned", OVERFLOWING_SCHEMA, "patterned.schema.json", "lww", null));
            stores.add(new StoreConfig("notes-app", "closed", CLOSED_SCHEMA, "closed.schema.json", "lww", null));
            return b.stores(stores)
                    .files(b.build().files().toBuilder().dir(filesRoot.toString()).rollIntervalMs(1000).build());
        }), ThinClientFactory::new);
        assertEquals(LimitsConfig.DEFAULT_MAX_REJECTED_VALUE_BYTES, stack.config.limits().maxRejectedValueBytes());
    }

    @AfterAll
    void stop() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aValueTheSchemaLibraryOverflowsOnIsRejectedAndTheWorkerStaysUp() {
        ObjectNode value = Json.MAPPER.createObjectNode().put("text", "ab".repeat(100_000)); // 200 KB, under the limit
        String body = Push.to("notes-app").client("bad-overflow").put("patterned", "p-1", value).json();

        Http.Answer first = stack.http.push(body);
        assertEquals(200, first.status(), abbreviated(first));
        JsonNode r = first.results().get(0);
        assertEquals("rejected", r.get("status").asText(), abbreviated(first));
        assertEquals("validation_failed", r.at("/error/code").asText());
        String message = r.at("/error/message").asText();
        assertTrue(message.contains("'patterned'") && message.contains("StackOverflowError"), message);
        assertFalse(message.contains("\tat ") || message.contains("java.util.regex"), "no stack in the answer: " + message);

        // the client's retry: answered from the stored rejection, the worker still up
        Http.Answer again = stack.http.push(body);
        assertEquals(200, again.status(), abbreviated(again));
        JsonNode d = again.results().get(0);
        assertEquals("duplicate", d.get("status").asText(), abbreviated(again));
        assertEquals("rejected", d.get("first").asText());
        assertEquals("validation_failed", d.at("/error/code").asText());

        // the rejection used up seq 1; seq 2 of the same client and other clients go on
        Http.Answer next = stack.http.push(Push.to("notes-app").client("bad-overflow").from(2)
                .put("patterned", "p-2", Json.MAPPER.createObjectNode().put("text", "abba")).json());
        assertEquals("applied", next.results().get(0).get("status").asText(), next.toString());
        for (int i = 0; i < 3; i++) {
            Http.Answer other = stack.http.push(Push.to("notes-app").client("bad-other-" + i)
                    .put("notes", "o-" + i, note("still here")).json());
            assertEquals(200, other.status(), other.toString());
            assertEquals("applied", other.results().get(0).get("status").asText(), other.toString());
        }
    }

    @Test
    void anUnknownStoreIsRejectedWithoutNamingTheStoresThatAreConfigured() {
        Http.Answer a = stack.http.push(Push.to("notes-app").client("bad-store")
                .put("todos", "t-1", Json.MAPPER.createObjectNode().put("title", "x")).json());
        assertEquals(200, a.status(), a.toString());
        JsonNode r = a.results().get(0);
        assertEquals("rejected", r.get("status").asText(), a.toString());
        assertEquals("unknown_store", r.at("/error/code").asText());
        String message = r.at("/error/message").asText();
        assertTrue(message.contains("'todos'"), message);
        for (String configured : List.of("notes", "patterned", "closed")) {
            assertFalse(message.contains("'" + configured + "'") || message.contains(configured + ","),
                    "the message names no configured store: " + message);
        }
    }

    @Test
    void aRejectedValueOverTheBoundIsKeptAsSizeHashAndPrefixEverywhere() throws Exception {
        ObjectNode value = note("big").put("body", "x\"y\u00e9".repeat(300 * 1024 / 6)); // ~300 KiB as JSON
        byte[] valueJson = Json.MAPPER.writeValueAsBytes(value);
        assertTrue(valueJson.length > 300 * 1024 && valueJson.length < 310 * 1024, valueJson.length + " bytes");
        Http.Answer a = stack.http.push(Push.to("notes-app").client("bad-big").put("notes", "b-1", value).json());
        assertEquals(200, a.status(), abbreviated(a));
        assertEquals("rejected", a.results().get(0).get("status").asText(), abbreviated(a));
        assertEquals("too_large", a.results().get(0).at("/error/code").asText());

        JsonNode page = stack.http.get("/v1/rejected?db=notes-app&clientId=bad-big").json();
        assertEquals(1, page.get("rejected").size(), page.toString());
        JsonNode change = page.at("/rejected/0/change");
        assertEquals("b-1", change.get("key").asText(), "the rest of the change as sent");
        assertFalse(change.has("value"), "the value is not kept whole");
        JsonNode t = change.get("valueTruncated");
        assertNotNull(t, change.toString());
        assertEquals(valueJson.length, t.get("bytes").asLong());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(valueJson)),
                t.get("sha256").asText());
        String prefix = t.get("prefix").asText();
        assertTrue(prefix.length() > 1000, "a readable prefix: " + prefix.length());
        assertTrue(new String(valueJson, StandardCharsets.UTF_8).startsWith(prefix));
        assertTrue(Json.MAPPER.writeValueAsBytes(t).length <= LimitsConfig.DEFAULT_MAX_REJECTED_VALUE_BYTES);

        String id = "notes-app/bad-big/1";
        String logged = stack.reader().<String, String>cache(SyncCaches.REJECTED_CACHE).get(id);
        String outcome = stack.reader().<String, String>cache(stack.config.ignite().outcomesCache()).get(id);
        assertNotNull(logged);
        assertNotNull(outcome);
        assertTrue(logged.contains("valueTruncated") && outcome.contains("valueTruncated"));
        assertTrue(bytes(logged) < STORED_BOUND, "rejected-changes log entry: " + bytes(logged) + " bytes");
        assertTrue(bytes(outcome) < STORED_BOUND, "outcome: " + bytes(outcome) + " bytes");

        String line = awaitRejectedLine(id);
        assertTrue(bytes(line) < STORED_BOUND, "file line: " + bytes(line) + " bytes");
        assertEquals(t, Json.MAPPER.readTree(line).at("/change/valueTruncated"), "the same bounded form in the files");
    }

    @Test
    void aSchemaErrorQuotingAHugePropertyNameIsAnsweredAndStoredBounded() {
        String name = "k".repeat(40_000); // 40 KB, under the parser's 50,000-char name limit
        ObjectNode value = Json.MAPPER.createObjectNode().put("title", "t").put(name, 1);
        Http.Answer a = stack.http.push(Push.to("notes-app").client("bad-name").put("closed", "c-1", value).json());
        assertEquals(200, a.status(), abbreviated(a));
        JsonNode r = a.results().get(0);
        assertEquals("rejected", r.get("status").asText(), abbreviated(a));
        assertEquals("schema", r.at("/error/code").asText());
        String message = r.at("/error/message").asText();
        assertTrue(message.contains("kkkk") && message.endsWith("..."), abbreviated(a));
        assertTrue(r.get("error").toString().length() < 2_200, "error: " + r.get("error").toString().length() + " chars");

        String id = "notes-app/bad-name/1";
        String logged = stack.reader().<String, String>cache(SyncCaches.REJECTED_CACHE).get(id);
        String outcome = stack.reader().<String, String>cache(stack.config.ignite().outcomesCache()).get(id);
        assertNotNull(logged);
        assertNotNull(outcome);
        assertTrue(bytes(logged) < STORED_BOUND, "rejected-changes log entry: " + bytes(logged) + " bytes");
        assertTrue(bytes(outcome) < STORED_BOUND, "outcome: " + bytes(outcome) + " bytes");
    }

    private static int bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }

    private static String abbreviated(Http.Answer a) {
        String s = a.toString();
        return s.length() > 500 ? s.substring(0, 500) + "..." : s;
    }

    /** The committed line of {@code eventId} under rejected/, waiting up to 30 s for the roll. */
    private String awaitRejectedLine(String eventId) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            Path tree = filesRoot.resolve("rejected");
            if (Files.isDirectory(tree)) {
                try (Stream<Path> s = Files.walk(tree)) {
                    for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).toList()) {
                        for (String l : Files.readAllLines(p)) {
                            if (Json.MAPPER.readTree(l).path("eventId").asText().equals(eventId)) {
                                return l;
                            }
                        }
                    }
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no committed line for " + eventId + " under rejected/");
    }
}
