package dev.idbsync.topology.it;

import static dev.idbsync.topology.it.Push.note;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Json;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Pushes over real HTTP through a LocalCluster into a real Ignite node; records read back with a thin client. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PushIT {
    private static final String CACHE = "notes-app.notes";

    @TempDir
    static Path dir;
    private TestStack stack;
    private Path flags;

    @BeforeAll
    void start() throws Exception {
        flags = Files.createDirectories(dir.resolve("flags"));
        stack = TestStack.start(TestStack.localConfig(dir.resolve("data"),
                        b -> b.http(b.build().http().toBuilder().maxRequestsInFlight(1).requestTimeoutMs(20_000)
                                .corsOrigins(List.of("http://app.example.test")).build())),
                ic -> new FaultyIgniteFactory(ic, flags));
    }

    @AfterAll
    void stop() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void theProtocolExampleIsAnsweredInOrderAndLandsInIgnite() throws Exception {
        String body = Files.readString(TestStack.repoRoot().resolve("docs/examples/push.json"));
        Http.Answer a = stack.http.push(body);

        assertEquals(200, a.status(), a.toString());
        JsonNode results = a.results();
        assertEquals(3, results.size(), a.toString());
        for (int i = 0; i < 3; i++) {
            assertEquals(i + 1, results.get(i).get("seq").asInt());
            assertEquals("applied", results.get(i).get("status").asText());
        }
        assertEquals(1, results.get(0).get("version").asInt());
        assertEquals(2, results.get(1).get("version").asInt(), "a put overwrites and the version counts up");
        assertEquals(1, results.get(2).get("version").asInt(), "a delete of an unseen record leaves a tombstone at 1");

        JsonNode n1 = Json.MAPPER.readTree(stack.record(CACHE, "\"n-1\""));
        assertEquals("Buy milk", n1.at("/value/title").asText());
        assertTrue(n1.at("/value/done").asBoolean());
        assertEquals(2, n1.get("version").asInt());
        assertEquals("put", n1.get("op").asText());
        assertEquals("c-5f0c2a", n1.get("clientId").asText());
        assertEquals(2, n1.get("seq").asInt());
        assertFalse(stack.reader().cacheNames().contains(dev.idbsync.ignite.SyncCaches.OWNERS_CACHE),
                "auth off (the default): no clientId is bound to a user");

        JsonNode tomb = Json.MAPPER.readTree(stack.record(CACHE, "[\"2026\",7]"));
        assertEquals("delete", tomb.get("op").asText());
        assertEquals(1, tomb.get("version").asInt());
        assertTrue(tomb.path("value").isMissingNode(), "a tombstone has no value");
    }

    @Test
    void versionsCountUpAcrossPushes() {
        for (int v = 1; v <= 3; v++) {
            Http.Answer a = stack.http.push(Push.to("notes-app").client("c-count").from(v)
                    .put("notes", "count", note("v" + v)).json());
            assertEquals(200, a.status(), a.toString());
            assertEquals(v, a.results().get(0).get("version").asInt());
        }
    }

    @Test
    void numberKeysAreOneKeyWhateverTheirSpelling() throws Exception {
        Http.Answer a = stack.http.push("{\"db\":\"notes-app\",\"clientId\":\"c-num\",\"sentAt\":1,\"changes\":["
                + "{\"seq\":1,\"store\":\"notes\",\"key\":70,\"op\":\"put\",\"value\":{\"title\":\"a\"},\"baseVersion\":0,\"ts\":1},"
                + "{\"seq\":2,\"store\":\"notes\",\"key\":70.0,\"op\":\"put\",\"value\":{\"title\":\"b\"},\"baseVersion\":0,\"ts\":2}]}");
        assertEquals(200, a.status(), a.toString());
        assertEquals(2, a.results().get(1).get("version").asInt());
        assertEquals("b", Json.MAPPER.readTree(stack.record(CACHE, "70")).at("/value/title").asText());
    }

    @Test
    void anInvalidChangeIsRejectedAndTheOthersOfItsPushApply() {
        Push p = Push.to("notes-app").client("c-mixed")
                .put("notes", "mixed-1", note("fine"))
                .put("notes", "mixed-2", Json.MAPPER.createObjectNode().put("done", true))
                .put("notes", "mixed-3", note("also fine"));
        Http.Answer a = stack.http.push(p.json());

        assertEquals(200, a.status(), a.toString());
        JsonNode r = a.results();
        assertEquals("applied", r.get(0).get("status").asText());
        assertEquals("rejected", r.get(1).get("status").asText());
        assertEquals("schema", r.get(1).at("/error/code").asText());
        assertEquals("/value/title", r.get(1).at("/error/path").asText());
        assertEquals("applied", r.get(2).get("status").asText());
        assertNotNull(stack.record(CACHE, "\"mixed-1\""));
        assertNull(stack.record(CACHE, "\"mixed-2\""), "a rejected change must not reach Ignite");
        assertNotNull(stack.record(CACHE, "\"mixed-3\""));
    }

    @Test
    void aValueNested200DeepIsRejectedTooDeep() {
        ObjectNode value = note("deep");
        ObjectNode at = value;
        for (int i = 0; i < 200; i++) {
            at = at.putObject("d");
        }
        Http.Answer a = stack.http.push(Push.to("notes-app").client("c-deep").put("notes", "deep", value).json());
        assertEquals(200, a.status(), a.toString());
        assertEquals("rejected", a.results().get(0).get("status").asText());
        assertEquals("too_deep", a.results().get(0).at("/error/code").asText());
        assertNull(stack.record(CACHE, "\"deep\""));
    }

    @Test
    void anUnknownStoreIsRejected() {
        Http.Answer a = stack.http.push(Push.to("notes-app").client("c-unknown").put("todos", "t-1", note("x")).json());
        assertEquals(200, a.status(), a.toString());
        assertEquals("unknown_store", a.results().get(0).at("/error/code").asText());
    }

    static Stream<Arguments> badRequests() {
        return Stream.of(
                bad("malformed JSON", "{\"db\": \"notes-app\",", 400, "bad_json"),
                bad("unknown op", p -> p.last().put("op", "upsert"), 400, "bad_request"),
                bad("put without value", p -> p.last().remove("value"), 400, "bad_request"),
                bad("value not an object", p -> p.last().put("value", "text"), 400, "bad_request"),
                bad("boolean key", p -> p.last().put("key", true), 400, "bad_request"),
                bad("seq not an integer", p -> p.last().put("seq", 1.5), 400, "bad_request"),
                bad("duplicate seq", p -> p.put("notes", "bad-dup", note("x")).last().put("seq", 1), 400, "bad_request"),
                bad("name with a slash", p -> p.node().put("db", "notes/app"), 400, "bad_request"),
                bad("NaN key", Push.to("notes-app").client("c-bad").put("notes", "bad-nan", note("x")).json()
                        .replace("\"bad-nan\"", "NaN"), 400, "bad_json"));
    }

    private static Arguments bad(String name, Consumer<Push> bend, int status, String code) {
        Push p = Push.to("notes-app").client("c-bad").put("notes", "bad-" + name.replace(' ', '-'), note("x"));
        bend.accept(p);
        return bad(name, p.json(), status, code);
    }

    private static Arguments bad(String name, String body, int status, String code) {
        return Arguments.of(name, body, status, code);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRequests")
    void badInputIsRefusedWithItsCodeAndChangesNothing(String name, String body, int status, String code) {
        Http.Answer a = stack.http.push(body);
        assertEquals(status, a.status(), a.toString());
        assertEquals(code, a.errorCode(), a.toString());
        assertTrue(a.json().at("/error/message").asText().length() > 5, "the error explains itself: " + a);
        assertNull(stack.record(CACHE, "\"bad-" + name.replace(' ', '-') + "\""));
    }

    @Test
    void theWrongContentTypeIs415() {
        Http.Answer a = stack.http.post("/v1/sync", "text/plain",
                HttpRequest.BodyPublishers.ofString(Push.to("notes-app").put("notes", "ct", note("x")).json()));
        assertEquals(415, a.status(), a.toString());
        assertEquals("unsupported_media_type", a.errorCode());
        assertNull(stack.record(CACHE, "\"ct\""));
    }

    @Test
    void aBodyOverTheLimitIs413EvenWhenItsLengthIsNotDeclared() {
        byte[] big = ("{\"db\":\"notes-app\",\"pad\":\"" + "x".repeat(5 * 1024 * 1024) + "\"}").getBytes(StandardCharsets.UTF_8);
        Http.Answer declared = stack.http.post("/v1/sync", "application/json", HttpRequest.BodyPublishers.ofByteArray(big));
        assertEquals(413, declared.status(), declared.toString());
        assertEquals("too_large", declared.errorCode());
        assertTrue(declared.json().at("/error/message").asText().contains("4194304"), declared.toString());

        // No Content-Length: chunked, cut off while reading
        Http.Answer chunked = stack.http.post("/v1/sync", "application/json",
                HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big)));
        assertEquals(413, chunked.status(), chunked.toString());
        assertEquals("too_large", chunked.errorCode());
    }

    @Test
    void moreChangesThanTheLimitIs413() {
        Push p = Push.to("notes-app").client("c-many");
        for (int i = 0; i < 1001; i++) {
            p.put("notes", "many-" + i, note("x"));
        }
        Http.Answer a = stack.http.push(p.json());
        assertEquals(413, a.status(), a.toString());
        assertEquals("too_large", a.errorCode());
        assertTrue(a.json().at("/error/message").asText().contains("1000"), a.toString());
        assertNull(stack.record(CACHE, "\"many-0\""));
    }

    @Test
    void anIgniteWriteFailureIs503AndTheRetryAppliesOnce() throws Exception {
        String body = Push.to("notes-app").client("c-fail").put("notes", "fail-1", note("a")).put("notes", "fail-2", note("b")).json();
        Files.createFile(FaultyIgniteFactory.failWrites(flags));
        Http.Answer failed;
        try {
            failed = stack.http.push(body);
        } finally {
            Files.delete(FaultyIgniteFactory.failWrites(flags));
        }
        assertEquals(503, failed.status(), failed.toString());
        assertEquals("unavailable", failed.errorCode());
        assertNotNull(failed.retryAfter(), "503 carries Retry-After");
        assertNull(stack.record(CACHE, "\"fail-1\""));

        Http.Answer retried = stack.http.push(body);
        assertEquals(200, retried.status(), retried.toString());
        assertEquals(List.of(1, 1), List.of(retried.results().get(0).get("version").asInt(),
                retried.results().get(1).get("version").asInt()));
        assertEquals(1, Json.MAPPER.readTree(stack.record(CACHE, "\"fail-1\"")).get("version").asInt());
    }

    @Test
    void pushesPastTheInFlightCapAre503WithRetryAfter() throws Exception {
        Files.createFile(FaultyIgniteFactory.hangWrites(flags));
        CompletableFuture<Http.Answer> first;
        try {
            first = CompletableFuture.supplyAsync(() -> stack.http.push(
                    Push.to("notes-app").client("c-cap-1").put("notes", "cap-1", note("a")).json()));
            Thread.sleep(1000); // the first push is now held, waiting for its Ignite write
            Http.Answer second = stack.http.push(Push.to("notes-app").client("c-cap-2").put("notes", "cap-2", note("b")).json());
            assertEquals(503, second.status(), second.toString());
            assertNotNull(second.retryAfter());
            assertTrue(second.json().at("/error/message").asText().contains("http.maxRequestsInFlight"), second.toString());
        } finally {
            Files.delete(FaultyIgniteFactory.hangWrites(flags));
        }
        assertEquals(200, first.get().status(), first.get().toString());
        assertNull(stack.record(CACHE, "\"cap-2\""));
    }

    @Test
    void pagesOfAConfiguredOriginMayCallTheApiAndOthersGetNoCorsHeaders() {
        Http.Answer preflight = stack.http.request("OPTIONS", "/v1/sync", java.util.Map.of("Origin", "http://app.example.test",
                "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "content-type"), null);
        assertEquals(204, preflight.status(), preflight.toString());
        assertEquals("http://app.example.test", preflight.header("Access-Control-Allow-Origin"));
        assertTrue(preflight.header("Access-Control-Allow-Methods").contains("POST"));
        assertTrue(preflight.header("Access-Control-Allow-Headers").toLowerCase().contains("content-type"));

        Http.Answer push = stack.http.request("POST", "/v1/sync", java.util.Map.of("Origin", "http://app.example.test",
                "Content-Type", "application/json"), Push.to("notes-app").client("c-cors").put("notes", "cors", note("x")).json());
        assertEquals(200, push.status(), push.toString());
        assertEquals("http://app.example.test", push.header("Access-Control-Allow-Origin"));
        assertEquals("Retry-After", push.header("Access-Control-Expose-Headers"));

        Http.Answer other = stack.http.request("GET", "/v1/changes?db=notes-app", java.util.Map.of("Origin", "http://evil.example"), null);
        assertEquals(200, other.status());
        assertEquals(null, other.header("Access-Control-Allow-Origin"), "an origin not configured gets no CORS headers");
    }

    @Test
    void theDemoPageAndTheBrowserLibraryAreServed() {
        Http.Answer page = stack.http.get("/");
        assertEquals(200, page.status());
        assertTrue(page.body().contains("<html") || page.body().contains("<!doctype") || page.body().contains("<!DOCTYPE"),
                "the demo page: " + page.body().substring(0, Math.min(200, page.body().length())));
        Http.Answer lib = stack.http.get("/client/idbsync.js");
        assertEquals(200, lib.status());
        assertTrue(lib.body().contains("openSync"), "the library exports openSync");
        Http.Answer folder = stack.http.get("/client/");
        assertEquals(404, folder.status());
        assertEquals("not_found", folder.errorCode());
    }

    @Test
    void healthSaysOkToGetAndRefusesOtherMethods() {
        Http.Answer a = stack.http.get("/health");
        assertEquals(200, a.status());
        assertEquals("ok", a.json().get("status").asText());
        Http.Answer post = stack.http.post("/health", "application/json", HttpRequest.BodyPublishers.ofString("{}"));
        assertEquals(405, post.status(), post.toString());
        assertEquals("method_not_allowed", post.errorCode());
    }
}
