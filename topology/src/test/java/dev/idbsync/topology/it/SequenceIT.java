package dev.idbsync.topology.it;

import static dev.idbsync.topology.it.Push.note;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.protocol.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each change takes effect once, in order per client, and conflicts are settled by the store's
 * policy: over real HTTP, through a LocalCluster, into a real Ignite node.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SequenceIT {
    private static final String CACHE = "notes-app.notes";

    @TempDir
    static Path dir;
    private TestStack stack;
    private Path flags;

    @BeforeAll
    void start() throws Exception {
        flags = Files.createDirectories(dir.resolve("flags"));
        stack = TestStack.start(TestStack.localConfig(dir.resolve("data"), b -> {
            List<StoreConfig> stores = new ArrayList<>(b.build().allStores());
            stores.add(new StoreConfig("notes-app", "titles", null, null, "custom:" + KeepLongerTitle.class.getName(), null));
            stores.add(new StoreConfig("notes-app", "drafts", null, null, "merge", null));
            stores.add(new StoreConfig("notes-app", "broken", null, null, "custom:" + ThrowingPolicy.class.getName(), null));
            return b.stores(stores);
        }), ic -> new FaultyIgniteFactory(ic, flags));
    }

    @AfterAll
    void stop() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aRetriedPushGetsDuplicatesWithTheFirstVersionsAndChangesNothing() throws Exception {
        String body = Push.to("notes-app").client("c-retry").put("notes", "r-1", note("a")).put("notes", "r-1", note("b"))
                .delete("notes", "r-2").json();
        Http.Answer first = stack.http.push(body);
        Http.Answer again = stack.http.push(body);

        assertEquals(200, again.status(), again.toString());
        for (int i = 0; i < 3; i++) {
            JsonNode r = again.results().get(i);
            assertEquals("duplicate", r.get("status").asText(), again.toString());
            assertEquals("applied", r.get("first").asText());
            assertEquals(first.results().get(i).get("version"), r.get("version"));
        }
        assertEquals(2, record("r-1").get("version").asInt(), "the retry made no new version");
    }

    @Test
    void aGapIsOutOfOrderForEveryChangeAfterItAndAppliesNothing() {
        stack.http.push(Push.to("notes-app").client("c-gap").put("notes", "g-1", note("one")).json());
        Http.Answer a = stack.http.push(Push.to("notes-app").client("c-gap").from(3)
                .put("notes", "g-3", note("three")).put("notes", "g-4", note("four")).json());

        assertEquals(200, a.status(), a.toString());
        for (JsonNode r : a.results()) {
            assertEquals("out_of_order", r.get("status").asText(), a.toString());
            assertEquals(2, r.get("expectedSeq").asLong());
        }
        assertNull(stack.record(CACHE, "\"g-3\""));
        assertNull(stack.record(CACHE, "\"g-4\""));

        Http.Answer resent = stack.http.push(Push.to("notes-app").client("c-gap").from(2)
                .put("notes", "g-2", note("two")).put("notes", "g-3", note("three")).json());
        assertEquals(List.of("applied", "applied"), statuses(resent), "the seq was not used up: " + resent);
    }

    @Test
    void aRejectedChangeUsesUpItsSeqWithoutBlockingTheNextOne() {
        Push p = Push.to("notes-app").client("c-rej").put("notes", "x-1", Json.MAPPER.createObjectNode().put("done", true))
                .put("notes", "x-2", note("fine"));
        Http.Answer a = stack.http.push(p.json());
        assertEquals(List.of("rejected", "applied"), statuses(a), a.toString());

        Http.Answer again = stack.http.push(p.json());
        assertEquals(List.of("duplicate", "duplicate"), statuses(again), again.toString());
        assertEquals("rejected", again.results().get(0).get("first").asText());
        assertEquals("schema", again.results().get(0).at("/error/code").asText(), "a duplicate repeats the first error");
    }

    @Test
    void aSeqStillBeingProcessedIsPendingAndIsAppliedOnce() throws Exception {
        String body = Push.to("notes-app").client("c-pend").put("notes", "p-1", note("a")).put("notes", "p-2", note("b")).json();
        CompletableFuture<Http.Answer> first;
        Http.Answer second;
        Files.createFile(FaultyIgniteFactory.hangWrites(flags));
        try {
            first = CompletableFuture.supplyAsync(() -> stack.http.push(body));
            Thread.sleep(1000); // the first push is held in the resolver, waiting for Ignite
            second = stack.http.push(body);
        } finally {
            Files.delete(FaultyIgniteFactory.hangWrites(flags));
        }
        assertEquals(200, second.status(), second.toString());
        assertEquals(List.of("pending", "pending"), statuses(second));
        assertEquals(List.of("applied", "applied"), statuses(first.get()), first.get().toString());

        Http.Answer third = stack.http.push(body);
        assertEquals(List.of("duplicate", "duplicate"), statuses(third), third.toString());
        assertEquals(1, record("p-1").get("version").asInt());
    }

    @Test
    void aClientThatPushesTheMomentItIsAnsweredIsNeverToldPending() {
        // The resolver's decided notice travels apart from the ack that lets the spout answer:
        // a next push that overtakes it must still be admitted (docs/architecture.md, "The sequencer").
        for (int seq = 1; seq <= 300; seq++) {
            Http.Answer a = stack.http.push(Push.to("notes-app").client("c-fast").from(seq)
                    .put("notes", "fast-" + (seq % 7), note("n" + seq)).json());
            assertEquals(200, a.status(), a.toString());
            assertEquals(List.of("applied"), statuses(a), "push " + seq + ": " + a);
        }
    }

    @Test
    void twoClientsEditingOneRecordGetTheLwwOutcome() throws Exception {
        Http.Answer a = stack.http.push(Push.to("notes-app").client("c-a").put("notes", "shared", note("from a")).json());
        assertEquals(1, a.results().get(0).get("version").asInt());
        // b edited the record offline on baseVersion 0 too, but earlier: it loses and gets a's value
        String older = Push.to("notes-app").client("c-b").put("notes", "shared", note("from b")).json()
                .replace("\"ts\":1763740791000", "\"ts\":1763740000000");
        Http.Answer b = stack.http.push(older);
        JsonNode r = b.results().get(0);
        assertEquals("conflict", r.get("status").asText(), b.toString());
        assertEquals(1, r.get("version").asInt());
        assertEquals("from a", r.at("/value/title").asText());
        assertEquals("lww", r.get("policy").asText());
        assertEquals("from a", record("shared").at("/value/title").asText());
    }

    @Test
    void aCustomPolicyNamedInTheConfigDecides() throws Exception {
        stack.http.push(Push.to("notes-app").client("c-c1").put("titles", "t", note("a long title")).json());
        Http.Answer shorter = stack.http.push(Push.to("notes-app").client("c-c2").put("titles", "t", note("short")).json());
        assertEquals("conflict", shorter.results().get(0).get("status").asText(), shorter.toString());
        assertEquals("custom:" + KeepLongerTitle.class.getName(), shorter.results().get(0).get("policy").asText());
        Http.Answer longer = stack.http.push(Push.to("notes-app").client("c-c3")
                .put("titles", "t", note("an even longer title")).json());
        assertEquals("applied", longer.results().get(0).get("status").asText(), longer.toString());
        assertEquals(2, longer.results().get(0).get("version").asInt());
    }

    @Test
    void aPolicyThatThrowsRejectsTheChangeAndDoesNotStallTheRecord() throws Exception {
        stack.http.push(Push.to("notes-app").client("b-1").put("broken", "k", note("first")).json());
        Http.Answer conflicting = stack.http.push(Push.to("notes-app").client("b-2").put("broken", "k", note("second"))
                .put("broken", "k", note("third"), 1).json());
        assertEquals(200, conflicting.status(), conflicting.toString());
        assertEquals("rejected", conflicting.results().get(0).get("status").asText(), conflicting.toString());
        assertEquals("policy_failed", conflicting.results().get(0).at("/error/code").asText());
        assertEquals("applied", conflicting.results().get(1).get("status").asText(), "the next change is not blocked");
        assertEquals(2, conflicting.results().get(1).get("version").asInt());
    }

    @Test
    void mergeKeepsBothSidesFields() throws Exception {
        stack.http.push(Push.to("notes-app").client("m-a").put("drafts", "d",
                Json.MAPPER.createObjectNode().put("title", "t").put("done", false)).json());
        Push b = Push.to("notes-app").client("m-b").put("drafts", "d",
                Json.MAPPER.createObjectNode().put("title", "t2").put("done", false), 1);
        b.last().putArray("fields").add("title");
        stack.http.push(b.json());
        Push a = Push.to("notes-app").client("m-a").from(2).put("drafts", "d",
                Json.MAPPER.createObjectNode().put("title", "t").put("done", true), 1);
        a.last().putArray("fields").add("done");
        Http.Answer merged = stack.http.push(a.json());
        JsonNode r = merged.results().get(0);
        assertEquals("conflict", r.get("status").asText(), merged.toString());
        assertEquals(3, r.get("version").asInt());
        assertEquals("t2", r.at("/value/title").asText());
        assertTrue(r.at("/value/done").asBoolean());
    }

    @Test
    void anIgniteFailureMidStreamIs503AndTheRetryAppliesEachChangeExactlyOnce() throws Exception {
        String first = Push.to("notes-app").client("c-f").put("notes", "f", note("1")).put("notes", "f", note("2")).json();
        assertEquals(200, stack.http.push(first).status());
        String second = Push.to("notes-app").client("c-f").from(3).put("notes", "f", note("3")).put("notes", "f", note("4")).json();
        Files.createFile(FaultyIgniteFactory.failWrites(flags));
        Http.Answer failed;
        try {
            failed = stack.http.push(second);
        } finally {
            Files.delete(FaultyIgniteFactory.failWrites(flags));
        }
        assertEquals(503, failed.status(), failed.toString());
        assertEquals(2, record("f").get("version").asInt(), "nothing of the failed push is applied");

        Http.Answer retried = stack.http.push(second);
        assertEquals(200, retried.status(), retried.toString());
        assertEquals(List.of("applied", "applied"), statuses(retried));
        assertEquals(List.of(3, 4), List.of(retried.results().get(0).get("version").asInt(),
                retried.results().get(1).get("version").asInt()), "versions contiguous: no gap, no double");
        JsonNode rec = record("f");
        assertEquals(4, rec.get("version").asInt());
        assertEquals("4", rec.at("/value/title").asText());
        assertFalse(rec.path("history").isMissingNode(), "the record keeps its recent writes");
    }

    private JsonNode record(String key) throws Exception {
        return Json.MAPPER.readTree(stack.record(CACHE, Json.MAPPER.writeValueAsString(key)));
    }

    static List<String> statuses(Http.Answer a) {
        List<String> out = new ArrayList<>();
        a.results().forEach(r -> out.add(r.get("status").asText()));
        return out;
    }
}
