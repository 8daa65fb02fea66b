package dev.idbsync.topology.it;

import static dev.idbsync.topology.it.Push.note;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.config.CacheNames;
import dev.idbsync.config.RetentionConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.ignite.ThinClientFactory;
import dev.idbsync.protocol.Json;
import java.nio.file.Path;
import org.apache.ignite.client.ClientCache;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The client horizon ({@code retention.clients}), end to end over real HTTP, a LocalCluster and a
 * real Ignite node: a client the server has forgotten (its mark and its outcomes gone, as the
 * horizon leaves it) is answered {@code out_of_order} from seq 1 with {@code unknownClient}, and
 * its changes numbered again from 1 apply once. That the mark and owner entries really expire
 * after the horizon is {@code FeedRetentionIT}'s (a 4 s horizon on a real node); here the horizon is
 * an hour (it must outlast the outcomes, kept at least an hour), so the test removes what the
 * expiry would and restarts the topology, which drops the sequencer's memory of the client as a
 * long idle time does.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientHorizonIT {
    private static final String CACHE = "notes-app.notes";
    private static final String CLIENT = "c-away";

    @TempDir
    static Path dir;
    private SyncConfig config;
    private TestStack stack;

    @BeforeAll
    void start() throws Exception {
        SyncConfig local = TestStack.localConfig(dir.resolve("data"), b -> b);
        config = local.toBuilder()
                .ignite(local.ignite().toBuilder().outcomeRetentionHours(1).rejectedRetentionHours(1).build())
                .retention(new RetentionConfig(true, 30 * RetentionConfig.DAY_MS, 30 * RetentionConfig.DAY_MS, 60_000,
                        3_600_000))
                .build();
        stack = TestStack.start(config, ThinClientFactory::new);
    }

    @AfterAll
    void stop() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void aForgottenClientIsAnsweredFromSeqOneAndItsChangesNumberedAgainApplyOnce() throws Exception {
        Http.Answer first = stack.http.push(Push.to("notes-app").client(CLIENT)
                .put("notes", "h-1", note("one")).put("notes", "h-2", note("two")).put("notes", "h-3", note("three")).json());
        assertEquals(200, first.status(), first.toString());
        for (JsonNode r : first.results()) {
            assertEquals("applied", r.get("status").asText(), first.toString());
        }
        ClientCache<String, String> marks = stack.reader().cache(CacheNames.MARKS);
        String markKey = "notes-app/" + CLIENT;
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (!"3".equals(marks.get(markKey)) && System.nanoTime() < deadline) {
            Thread.sleep(100); // marks are stored once a second
        }
        assertEquals("3", marks.get(markKey));

        // What the horizon leaves of an idle client: no mark, no outcome, nobody remembering it.
        stack.close();
        stack = null;
        stack = TestStack.start(config, ThinClientFactory::new); // the same data dir and ports
        stack.reader().cache(CacheNames.MARKS).remove(markKey);
        ClientCache<String, String> outcomes = stack.reader().cache(config.ignite().outcomesCache());
        for (int seq = 1; seq <= 3; seq++) {
            assertTrue(outcomes.remove("notes-app/" + CLIENT + "/" + seq), "outcome " + seq + " was there");
        }

        // The client comes back with its next change, seq 4, an edit of h-1 (version 1).
        Http.Answer back = stack.http.push(Push.to("notes-app").client(CLIENT).from(4)
                .put("notes", "h-1", note("one, edited"), 1).json());
        assertEquals(200, back.status(), back.toString());
        JsonNode r = back.results().get(0);
        assertEquals("out_of_order", r.get("status").asText(), back.toString());
        assertEquals(1, r.get("expectedSeq").asLong());
        assertTrue(r.get("unknownClient").asBoolean(), back.toString());
        assertEquals(1, version("h-1"), "nothing applied");

        // Numbered again from 1 (what the browser library does), it applies once.
        Http.Answer again = stack.http.push(Push.to("notes-app").client(CLIENT).from(1)
                .put("notes", "h-1", note("one, edited"), 1).json());
        assertEquals("applied", again.results().get(0).get("status").asText(), again.toString());
        assertEquals(2, again.results().get(0).get("version").asLong());
        assertEquals("one, edited", Json.MAPPER.readTree(stack.record(CACHE, "\"h-1\"")).at("/value/title").asText());
        assertEquals(1, version("h-2"), "the changes of its first life were not applied again");
        Http.Answer repeat = stack.http.push(Push.to("notes-app").client(CLIENT).from(1)
                .put("notes", "h-1", note("one, edited"), 1).json());
        assertEquals("duplicate", repeat.results().get(0).get("status").asText(), repeat.toString());

        // A client the server knows, past a gap: not unknown.
        Http.Answer gap = stack.http.push(Push.to("notes-app").client(CLIENT).from(3).put("notes", "h-9", note("gap")).json());
        assertEquals(2, gap.results().get(0).get("expectedSeq").asLong(), gap.toString());
        assertFalse(gap.results().get(0).has("unknownClient"), gap.toString());
        assertNull(stack.record(CACHE, "\"h-9\""));
    }

    private long version(String key) throws Exception {
        return Json.MAPPER.readTree(stack.record(CACHE, "\"" + key + "\"")).get("version").asLong();
    }
}
