package dev.idbsync.topology.it;

import static dev.idbsync.topology.it.Push.note;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.ignite.ThinClientFactory;
import dev.idbsync.protocol.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/** The file sink and the rejected-changes log over the real stack; Beam and Flink read them in pipelines-it. */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FilesIT {
    @TempDir
    static Path dir;
    private TestStack stack;
    private Path filesRoot;

    @BeforeAll
    void start() throws Exception {
        filesRoot = dir.resolve("files");
        Files.createDirectories(filesRoot);
        // Until the first test removes it, a plain file stands where the changes tree must go.
        Files.writeString(filesRoot.resolve("changes"), "not a directory");
        stack = TestStack.start(TestStack.localConfig(dir.resolve("data"),
                b -> b.files(b.build().files().toBuilder().dir(filesRoot.toString()).rollIntervalMs(1000).build())),
                ThinClientFactory::new);
    }

    @AfterAll
    void stop() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void anUnwritableDirectoryFailsThePushAndTheRetryWritesTheLineOnce() throws Exception {
        String body = Push.to("notes-app").client("files-fail").put("notes", "ff", note("x")).json();
        Http.Answer failed = stack.http.push(body);
        assertEquals(503, failed.status(), failed.toString());
        assertNotNull(failed.retryAfter());

        Files.delete(filesRoot.resolve("changes"));
        Http.Answer retried = stack.http.push(body);
        assertEquals(200, retried.status(), retried.toString());
        assertEquals("duplicate", retried.results().get(0).get("status").asText(),
                "decided in Ignite the first time; the retry only completed the delivery: " + retried);
        assertEquals("applied", retried.results().get(0).get("first").asText());
        assertEquals(1, awaitLines("changes", "notes-app/files-fail/1").size());
    }

    @Test
    @Order(2)
    void eachResolvedChangeIsALineInACommittedPartitionedFile() throws Exception {
        Http.Answer a = stack.http.push(Push.to("notes-app").client("files-ok").put("notes", "f-1", note("Buy milk"))
                .delete("notes", List.of("2026", 7)).json());
        assertEquals(200, a.status(), a.toString());

        JsonNode put = awaitLines("changes", "notes-app/files-ok/1").get(0);
        assertEquals("notes-app", put.get("db").asText());
        assertEquals("notes", put.get("store").asText());
        assertEquals("f-1", put.get("key").asText());
        assertEquals("put", put.get("op").asText());
        assertEquals("Buy milk", put.at("/value/title").asText());
        assertEquals(1, put.get("version").asInt());
        assertEquals("files-ok", put.get("clientId").asText());
        assertEquals(1, put.get("seq").asInt());
        assertEquals("applied", put.get("status").asText());
        assertTrue(put.has("ts") && put.has("serverTs"));

        JsonNode del = awaitLines("changes", "notes-app/files-ok/2").get(0);
        assertEquals("delete", del.get("op").asText());
        assertFalse(del.has("value"));
        assertEquals(List.of("2026", "7"), List.of(del.get("key").get(0).asText(), del.get("key").get(1).asText()));
        assertTrue(committed("changes").stream().allMatch(p -> p.toString().matches(
                ".*/changes/db=notes-app/store=notes/date=\\d{4}-\\d{2}-\\d{2}/hour=\\d{2}/part-[^/]+\\.jsonl")));
    }

    @Test
    @Order(3)
    void aConflictLineCarriesThePolicyAndTheLosingValue() throws Exception {
        stack.http.push(Push.to("notes-app").client("files-a").put("notes", "f-c", note("from a")).json());
        String older = Push.to("notes-app").client("files-b").put("notes", "f-c", note("from b")).json()
                .replace("\"ts\":1763740791000", "\"ts\":1763740000000");
        Http.Answer b = stack.http.push(older);
        assertEquals("conflict", b.results().get(0).get("status").asText(), b.toString());
        JsonNode line = awaitLines("changes", "notes-app/files-b/1").get(0);
        assertEquals("conflict", line.get("status").asText());
        assertEquals("lww", line.get("policy").asText());
        assertEquals("from a", line.at("/value/title").asText(), "the record as it is after resolution");
        assertEquals("from b", line.at("/losingValue/title").asText(), "what lost, for an audit");
    }

    @Test
    @Order(4)
    void rejectedChangesAreLoggedInIgniteAndInTheRejectedTreeOnly() throws Exception {
        Push p = Push.to("notes-app").client("files-rej");
        for (int i = 0; i < 3; i++) {
            p.put("notes", "r-" + i, Json.MAPPER.createObjectNode().put("done", true)); // no title: rejected
        }
        p.put("notes", "r-ok", note("fine"));
        assertEquals(200, stack.http.push(p.json()).status());

        Http.Answer page1 = stack.http.get("/v1/rejected?db=notes-app&clientId=files-rej&limit=2");
        assertEquals(200, page1.status(), page1.toString());
        JsonNode r = page1.json();
        assertEquals(2, r.get("rejected").size());
        assertEquals(1, r.at("/rejected/0/seq").asInt());
        assertEquals("schema", r.at("/rejected/0/error/code").asText());
        assertEquals("r-0", r.at("/rejected/0/change/key").asText(), "the change as it was sent");
        assertTrue(r.at("/rejected/0/change/value/done").asBoolean());
        assertTrue(r.at("/rejected/0/at").asLong() > 0);
        assertTrue(r.get("hasMore").asBoolean());

        JsonNode page2 = stack.http.get("/v1/rejected?db=notes-app&clientId=files-rej&since="
                + r.get("cursor").asText()).json();
        assertEquals(1, page2.get("rejected").size());
        assertEquals(3, page2.at("/rejected/0/seq").asInt());
        assertFalse(page2.get("hasMore").asBoolean());

        assertEquals(1, awaitLines("rejected", "notes-app/files-rej/1").size());
        assertTrue(lines("changes").keySet().stream().noneMatch(id -> id.startsWith("notes-app/files-rej/1")),
                "a pipeline reading the changes tree never sees a rejected change");
    }

    @Test
    @Order(5)
    void aBadCursorIs400AndAnUnknownClientHasNothing() {
        Http.Answer bad = stack.http.get("/v1/rejected?db=notes-app&clientId=files-rej&since=abc");
        assertEquals(400, bad.status());
        assertEquals("bad_cursor", bad.errorCode());
        Http.Answer noDb = stack.http.get("/v1/rejected?clientId=files-rej");
        assertEquals(400, noDb.status());
        JsonNode none = stack.http.get("/v1/rejected?db=notes-app&clientId=nobody").json();
        assertEquals(0, none.get("rejected").size());
        assertFalse(none.get("hasMore").asBoolean());
    }

    private List<JsonNode> awaitLines(String tree, String eventId) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < deadline) {
            List<JsonNode> found = lines(tree).get(eventId);
            if (found != null) {
                return found;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no committed line for " + eventId + " under " + tree + "; found " + lines(tree).keySet());
    }

    private List<Path> committed(String tree) throws IOException {
        Path t = filesRoot.resolve(tree);
        if (!Files.isDirectory(t)) {
            return List.of();
        }
        try (Stream<Path> s = Files.walk(t)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".jsonl")).toList();
        }
    }

    private Map<String, List<JsonNode>> lines(String tree) throws IOException {
        Map<String, List<JsonNode>> out = new HashMap<>();
        for (Path p : committed(tree)) {
            for (String l : Files.readAllLines(p)) {
                JsonNode n = Json.MAPPER.readTree(l);
                out.computeIfAbsent(n.get("eventId").asText(), k -> new java.util.ArrayList<>()).add(n);
            }
        }
        return out;
    }
}
