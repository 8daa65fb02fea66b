package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.SinkEvent;
import dev.idbsync.protocol.Status;
import java.io.UncheckedIOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one codec of an outcome as the outcomes cache keeps it (moved here from OutcomesTest, assertions unchanged). */
class StoredOutcomeTest {
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
                String stored = new StoredOutcome(r, "push-1", e, null).toJson();
                StoredOutcome a = StoredOutcome.answerOf(stored);
                assertEquals(asSent(r), asSent(a.result()), stored);
                assertEquals("push-1", a.by());
            }
        }
    }

    @Test
    void theStoredOutcomeKeepsTheEventAndTheRejectedEntryForARedelivery() {
        SinkEvent e = event(Status.APPLIED);
        ObjectNode entry = Json.MAPPER.createObjectNode().put("db", "notes-app").put("clientId", "c1");
        entry.putObject("change").put("seq", 7);
        ObjectNode o = (ObjectNode) parse(new StoredOutcome(Result.applied(7, 3), "push-1", e, entry).toJson());
        assertEquals(e, SinkEvent.fromJson(o.get(StoredOutcome.EVENT)));
        assertEquals(entry, o.get(StoredOutcome.REJECTED_ENTRY));
        assertEquals("push-1", o.get(StoredOutcome.BY).asText());
        assertEquals("applied", o.get("status").asText());

        ObjectNode bare = (ObjectNode) parse(new StoredOutcome(Result.applied(7, 3), "push-1", null, null).toJson());
        assertFalse(bare.has(StoredOutcome.EVENT));
        assertFalse(bare.has(StoredOutcome.REJECTED_ENTRY));
    }

    @Test
    void anOutcomeWrittenByTheTreeBasedCodeOfEarlierVersionsIsReadTheSameWay() {
        // Outcomes stored before the generator-based writer: the result's fields, by, then event.
        ObjectNode old = Json.MAPPER.valueToTree(Result.conflict(7, 4, VALUE, "lww"));
        old.put(StoredOutcome.BY, "push-0");
        old.set(StoredOutcome.EVENT, Json.MAPPER.valueToTree(event(Status.CONFLICT)));
        StoredOutcome a = StoredOutcome.answerOf(old.toString());
        assertEquals(asSent(Result.conflict(7, 4, VALUE, "lww")), asSent(a.result()));
        assertEquals("push-0", a.by());
    }

    @Test
    void anOutcomeWithoutByHasNoDecidingPush() {
        StoredOutcome a = StoredOutcome.answerOf("{\"seq\":1,\"status\":\"applied\",\"version\":1}");
        assertNull(a.by());
        assertTrue(asSent(a.result()).has("version"));
    }

    @Test
    void somethingElseInTheCacheIsAClearError() {
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> StoredOutcome.answerOf("[1,2]"));
        assertTrue(e.getMessage().contains("not in idbsync's format"), e.getMessage());
        assertThrows(UncheckedIOException.class, () -> StoredOutcome.answerOf("{\"seq\":"));
    }

    // ------------------------------------------------------------------ added with the record

    /** The two examples of docs/ignite.md, "Outcomes", as the cache holds them. */
    private static final String APPLIED_EXAMPLE = "{\"seq\":1,\"status\":\"applied\",\"version\":1,\"by\":\"t4-3f9a1c07d2b85e61-17\","
            + "\"event\":{\"eventId\":\"notes-app/c-5f0c2a/1\",\"db\":\"notes-app\",\"store\":\"notes\",\"key\":\"n-1\","
            + "\"keyString\":\"\\\"n-1\\\"\",\"op\":\"put\",\"value\":{\"title\":\"Buy milk\",\"done\":false},\"version\":1,"
            + "\"clientId\":\"c-5f0c2a\",\"seq\":1,\"ts\":1763740790877,\"serverTs\":1763740801042,\"status\":\"applied\"}}";
    private static final String REJECTED_EXAMPLE = "{\"seq\":4,\"status\":\"rejected\",\"error\":{\"code\":\"schema\","
            + "\"path\":\"/value/title\",\"message\":\"required property 'title' is missing\"},\"by\":\"t4-3f9a1c07d2b85e61-18\","
            + "\"rejectedEntry\":{\"eventId\":\"notes-app/c-5f0c2a/4\",\"db\":\"notes-app\",\"clientId\":\"c-5f0c2a\",\"seq\":4,"
            + "\"change\":{\"seq\":4,\"store\":\"notes\",\"key\":\"n-2\",\"op\":\"put\",\"value\":{\"done\":false},\"baseVersion\":0,"
            + "\"ts\":1763740805000},\"error\":{\"code\":\"schema\",\"path\":\"/value/title\",\"message\":\"required property"
            + " 'title' is missing\"},\"at\":1795292311557}}";

    @Test
    void theDocumentedOutcomesAreReadAndWrittenBackByteForByte() {
        for (String stored : List.of(APPLIED_EXAMPLE, REJECTED_EXAMPLE)) {
            assertEquals(stored, StoredOutcome.fromJson(stored).toJson());
        }
        StoredOutcome applied = StoredOutcome.fromJson(APPLIED_EXAMPLE);
        assertEquals(Result.applied(1, 1), applied.result());
        assertEquals("t4-3f9a1c07d2b85e61-17", applied.by());
        assertEquals("notes-app/c-5f0c2a/1", applied.event().eventId());
        assertNull(applied.rejectedEntry());
        StoredOutcome rejected = StoredOutcome.fromJson(REJECTED_EXAMPLE);
        assertEquals(Status.REJECTED, rejected.result().status());
        assertEquals("schema", rejected.result().error().code());
        assertNull(rejected.event());
        assertEquals(4, rejected.rejectedEntry().get("seq").asLong());
    }

    @Test
    void theAnswerReadSkipsTheEventAndTheRejectedEntry() {
        StoredOutcome a = StoredOutcome.answerOf(APPLIED_EXAMPLE);
        assertEquals(Result.applied(1, 1), a.result());
        assertEquals("t4-3f9a1c07d2b85e61-17", a.by());
        assertNull(a.event());
        assertNull(StoredOutcome.answerOf(REJECTED_EXAMPLE).rejectedEntry());
    }

    @Test
    void duplicateIsAnOutcomeOfAnotherPushOrNoneAtAll() {
        StoredOutcome mine = new StoredOutcome(Result.applied(7, 3), "push-1", null, null);
        assertFalse(StoredOutcome.answersDuplicate(mine, "push-1"));
        assertTrue(StoredOutcome.answersDuplicate(mine, "push-2"));
        assertTrue(StoredOutcome.answersDuplicate(null, "push-1"), "decided, its outcome expired");
        assertTrue(StoredOutcome.answersDuplicate(new StoredOutcome(Result.applied(7, 3), null, null, null), "push-1"));
    }

    @Test
    void anOutcomeWhoseResultIsNotAResultIsAClearError() {
        UncheckedIOException e = assertThrows(UncheckedIOException.class,
                () -> StoredOutcome.fromJson("{\"seq\":1,\"status\":\"finished\",\"by\":\"p\"}"));
        assertTrue(e.getMessage().contains("not in idbsync's format"), e.getMessage());
    }

    // ------------------------------------------------------------------ added with eventOfChange

    private static Change change(long seq, Op op, ObjectNode value, long sentAt) {
        return new Change("notes-app", "c-5f0c2a", seq, "notes", TextNode.valueOf("n-1"), "\"n-1\"", op, value, 0,
                sentAt - 100, null, sentAt, sentAt + 40);
    }

    private static SinkEvent appliedEvent(Change c, long version, long serverTs) {
        return new SinkEvent(c.eventId(), c.db(), c.store(), c.key(), c.keyString(), c.op(),
                c.op() == Op.PUT ? c.value() : null, version, c.clientId(), c.seq(), c.correctedTs(), serverTs,
                Status.APPLIED, null, null, null);
    }

    /** docs/ignite.md's example of an applied change's outcome as this release writes it. */
    private static final String EVENT_OF_CHANGE_EXAMPLE = "{\"seq\":1,\"status\":\"applied\",\"version\":1,"
            + "\"by\":\"t4-3f9a1c07d2b85e61-17\",\"eventOfChange\":{\"ts\":1763740790877,\"serverTs\":1763740801042,"
            + "\"store\":\"notes\",\"keyString\":\"\\\"n-1\\\"\",\"digest\":\"xGrUe5acenwIKmEb4ZfPmA\"}}";

    @Test
    void anAppliedChangeIsStoredWithoutItsEventAndAResendGetsTheSameEventBack() {
        for (Change c : List.of(change(1, Op.PUT, VALUE, 1_700_000_000_000L), change(2, Op.DELETE, null, 1_700_000_000_000L))) {
            SinkEvent e = appliedEvent(c, 3, 1_700_000_000_500L);
            String stored = StoredOutcome.decided(Result.applied(c.seq(), 3), "push-1", c, e, null).toJson();
            ObjectNode o = (ObjectNode) parse(stored);
            assertFalse(o.has(StoredOutcome.EVENT), stored);
            assertTrue(o.has(StoredOutcome.EVENT_OF_CHANGE), stored);
            // a resend: sent and received a minute later, so its own corrected ts differs
            Change resend = change(c.seq(), c.op(), c.value() == null ? null : c.value().deepCopy(), 1_700_000_060_000L);
            SinkEvent again = StoredOutcome.fromJson(stored).eventFor(resend);
            assertEquals(e, again);
            assertEquals(e.toJson(), again.toJson());
            // the answer read skips it, as it skips an event
            StoredOutcome a = StoredOutcome.answerOf(stored);
            assertNull(a.eventOfChange());
            assertEquals(Result.applied(c.seq(), 3), a.result());
        }
    }

    @Test
    void aResendThatIsAnotherChangeGetsNoEventFromTheOutcome() {
        Change c = change(1, Op.PUT, VALUE, 1_700_000_000_000L);
        StoredOutcome o = StoredOutcome.fromJson(StoredOutcome.decided(Result.applied(1, 3), "push-1", c,
                appliedEvent(c, 3, 1_700_000_000_500L), null).toJson());
        ObjectNode otherValue = VALUE.deepCopy().put("done", false);
        assertNull(o.eventFor(change(1, Op.PUT, otherValue, 1_700_000_000_000L)));
        assertNull(o.eventFor(change(1, Op.DELETE, null, 1_700_000_000_000L)));
        Change otherKey = new Change(c.db(), c.clientId(), 1, c.store(), TextNode.valueOf("n-2"), "\"n-2\"", Op.PUT, VALUE,
                0, c.ts(), null, c.sentAt(), c.receivedAt());
        assertNull(o.eventFor(otherKey));
        assertEquals("notes", o.eventOfChange().store());
        assertEquals("\"n-1\"", o.eventOfChange().keyString());
    }

    @Test
    void aConflictOrARecordThatIsNotTheChangeKeepsTheWholeEvent() {
        Change c = change(1, Op.PUT, VALUE, 1_700_000_000_000L);
        SinkEvent conflict = new SinkEvent(c.eventId(), c.db(), c.store(), c.key(), c.keyString(), Op.PUT,
                (ObjectNode) parse("{\"title\":\"theirs\"}"), 4, c.clientId(), 1, c.correctedTs(), 5L, Status.CONFLICT, "lww",
                Op.PUT, VALUE);
        StoredOutcome kept = StoredOutcome.decided(Result.conflict(1, 4, conflict.value(), "lww"), "p", c, conflict, null);
        assertEquals(conflict, kept.event());
        assertNull(kept.eventOfChange());
        // applied, but the record holds another value than the change sent (a policy's own value that equals it by number only)
        SinkEvent merged = new SinkEvent(c.eventId(), c.db(), c.store(), c.key(), c.keyString(), Op.PUT,
                (ObjectNode) parse("{\"n\":1.0}"), 4, c.clientId(), 1, c.correctedTs(), 5L, Status.APPLIED, null, null, null);
        Change sent = change(1, Op.PUT, (ObjectNode) parse("{\"n\":1}"), 1_700_000_000_000L);
        StoredOutcome whole = StoredOutcome.fromJson(StoredOutcome.decided(Result.applied(1, 4), "p", sent, merged, null).toJson());
        assertNull(whole.eventOfChange());
        assertEquals(4, whole.event().version());
        assertEquals(1.0, whole.event().value().get("n").asDouble());
        assertSame(whole.event(), whole.eventFor(sent), "the stored event, whatever the resend holds");
        // rejected: no event at all, its entry kept
        ObjectNode entry = Json.MAPPER.createObjectNode().put("seq", 1);
        StoredOutcome rejected = StoredOutcome.decided(Result.rejected(1, new ChangeError("schema", "/v", "m")), "p", c, null, entry);
        assertNull(rejected.event());
        assertNull(rejected.eventOfChange());
        assertEquals(entry, rejected.rejectedEntry());
    }

    @Test
    void theDocumentedEventOfChangeIsReadAndWrittenBackByteForByte() {
        assertEquals(EVENT_OF_CHANGE_EXAMPLE, StoredOutcome.fromJson(EVENT_OF_CHANGE_EXAMPLE).toJson());
        ObjectNode value = (ObjectNode) parse("{\"title\":\"Buy milk\",\"done\":false}");
        Change c = new Change("notes-app", "c-5f0c2a", 1, "notes", TextNode.valueOf("n-1"), "\"n-1\"", Op.PUT, value, 0,
                1763740790000L, null, 1763740790000L, 1763740790877L);
        SinkEvent rebuilt = StoredOutcome.fromJson(EVENT_OF_CHANGE_EXAMPLE).eventFor(c);
        // the same event as the documented outcome that keeps it whole
        assertEquals(StoredOutcome.fromJson(APPLIED_EXAMPLE).event(), rebuilt);
    }

    @Test
    void aBrokenEventOfChangeIsAClearError() {
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> StoredOutcome.fromJson(
                "{\"seq\":1,\"status\":\"applied\",\"version\":1,\"eventOfChange\":{\"ts\":1}}"));
        assertTrue(e.getMessage().contains("not in idbsync's format"), e.getMessage());
    }
}
