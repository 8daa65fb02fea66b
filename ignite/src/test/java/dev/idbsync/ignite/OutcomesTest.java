package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.SinkEvent;
import dev.idbsync.protocol.Status;
import java.io.UncheckedIOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutcomesTest {
    private static final ObjectNode VALUE = (ObjectNode) parse("{\"title\":\"a \\\"quoted\\\" title\",\"done\":true,\"n\":[1,{\"x\":null}]}");

    private static com.fasterxml.jackson.databind.JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A result as a client reads it: written as JSON by the mapper, parsed back. */
    private static com.fasterxml.jackson.databind.JsonNode asSent(Result r) {
        try {
            return parse(Json.MAPPER.writeValueAsString(r));
        } catch (java.io.IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static SinkEvent event(Status status) {
        return new SinkEvent("notes-app/c1/7", "notes-app", "notes", parse("\"k1\""), "k1", Op.PUT, VALUE, 3, "c1", 7,
                1_700_000_000_000L, 1_700_000_000_123L, status, null, null, null);
    }

    /** Every kind of result a change is stored with, and one with every field set. */
    private static List<Result> results() {
        return List.of(
                Result.applied(7, 3),
                Result.conflict(7, 4, VALUE, "lww"),
                Result.conflict(7, 5, null, "server-wins"),
                Result.rejected(7, new ChangeError("schema", "/value/title", "must be a string")),
                new Result(7, Status.DUPLICATE, 3L, VALUE, "merge", new ChangeError("c", "/p", "m"), Status.CONFLICT, 9L));
    }

    @Test
    void theSpoutReadsBackExactlyTheResultAsAClientGetsIt() {
        for (Result r : results()) {
            for (SinkEvent e : new SinkEvent[] {null, event(Status.APPLIED)}) {
                String stored = Outcomes.toStoredJson(r, "push-1", e, null);
                Outcomes.Answer a = Outcomes.answerFields(stored);
                assertEquals(asSent(r), a.result(), stored);
                assertEquals("push-1", a.by());
            }
        }
    }

    @Test
    void theStoredOutcomeKeepsTheEventAndTheRejectedEntryForARedelivery() {
        SinkEvent e = event(Status.APPLIED);
        ObjectNode entry = Json.MAPPER.createObjectNode().put("db", "notes-app").put("clientId", "c1");
        entry.putObject("change").put("seq", 7);
        ObjectNode o = Outcomes.parse(Outcomes.toStoredJson(Result.applied(7, 3), "push-1", e, entry));
        assertEquals(e, SinkEvent.fromJson(o.get(Outcomes.EVENT)));
        assertEquals(entry, o.get(Outcomes.REJECTED_ENTRY));
        assertEquals("push-1", o.get(Outcomes.BY).asText());
        assertEquals("applied", o.get("status").asText());

        ObjectNode bare = Outcomes.parse(Outcomes.toStoredJson(Result.applied(7, 3), "push-1", null));
        assertFalse(bare.has(Outcomes.EVENT));
        assertFalse(bare.has(Outcomes.REJECTED_ENTRY));
    }

    @Test
    void anOutcomeWrittenByTheTreeBasedCodeOfEarlierVersionsIsReadTheSameWay() {
        // Outcomes stored before the generator-based writer: the result's fields, by, then event.
        ObjectNode old = Json.MAPPER.valueToTree(Result.conflict(7, 4, VALUE, "lww"));
        old.put(Outcomes.BY, "push-0");
        old.set(Outcomes.EVENT, Json.MAPPER.valueToTree(event(Status.CONFLICT)));
        Outcomes.Answer a = Outcomes.answerFields(old.toString());
        assertEquals(asSent(Result.conflict(7, 4, VALUE, "lww")), a.result());
        assertEquals("push-0", a.by());
    }

    @Test
    void anOutcomeWithoutByHasNoDecidingPush() {
        Outcomes.Answer a = Outcomes.answerFields("{\"seq\":1,\"status\":\"applied\",\"version\":1}");
        assertNull(a.by());
        assertTrue(a.result().has("version"));
    }

    @Test
    void somethingElseInTheCacheIsAClearError() {
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> Outcomes.answerFields("[1,2]"));
        assertTrue(e.getMessage().contains("not in idbsync's format"), e.getMessage());
        assertThrows(UncheckedIOException.class, () -> Outcomes.answerFields("{\"seq\":"));
    }
}
