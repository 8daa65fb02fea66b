package dev.idbsync.storm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
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
import dev.idbsync.storm.TupleContract.Admitted;
import dev.idbsync.storm.TupleContract.Checked;
import dev.idbsync.storm.TupleContract.Decided;
import dev.idbsync.storm.TupleContract.RejectedEntry;
import dev.idbsync.storm.TupleContract.Received;
import dev.idbsync.storm.TupleContract.Resolved;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.storm.task.GeneralTopologyContext;
import org.apache.storm.tuple.Fields;
import org.apache.storm.tuple.Tuple;
import org.apache.storm.tuple.TupleImpl;
import org.junit.jupiter.api.Test;

/**
 * Every stream's record survives being made into a tuple and read back (through a real
 * {@link TupleImpl} that looks its fields up by name, as Storm's do), and its grouping fields are
 * the ones of its value.
 */
class TupleContractTest {
    private static final Change CHANGE = new Change("notes-app", "c-1", 7, "notes", TextNode.valueOf("n-1"), "\"n-1\"",
            Op.PUT, Json.MAPPER.createObjectNode().put("title", "t"), 3, 1_000, List.of("title"), 1_100, 1_200);
    private static final Result REJECTED = Result.rejected(7, new ChangeError("schema", "/value/title", "too long"));
    private static final SinkEvent EVENT = new SinkEvent("notes-app/c-1/7", "notes-app", "notes", TextNode.valueOf("n-1"),
            "\"n-1\"", Op.PUT, Json.MAPPER.createObjectNode().put("title", "t"), 4, "c-1", 7, 1_000, 1_300, Status.APPLIED,
            null, null, null);

    @Test
    void receivedRoundTripsAndIsGroupedByItsChangesClient() {
        Received r = new Received(CHANGE, "push-1", 9_000L);
        Tuple t = tuple(TupleContract.CHANGES_STREAM, Received.FIELDS, r.values());
        assertEquals(r, Received.of(t));
        assertEquals(9_000L, Received.of(t).checked(null).admitted(false).answeredAt(), "the push's deadline travels on");
        assertGroupedBy(t, TupleContract.CLIENT_GROUPING, "notes-app", "c-1");
        assertGroupedBy(t, TupleContract.RECORD_GROUPING, "notes-app", "notes", "\"n-1\"");
    }

    @Test
    void checkedRoundTripsWithAndWithoutItsRejectedResult() {
        for (Result rejected : new Result[] {null, REJECTED}) {
            Checked c = new Received(CHANGE, "push-1", 9_000L).checked(rejected);
            assertEquals(new Checked(CHANGE, "push-1", rejected, 9_000L), c);
            Tuple t = tuple(TupleContract.CHECKED_STREAM, Checked.FIELDS, c.values());
            assertEquals(c, Checked.of(t));
            assertGroupedBy(t, TupleContract.CLIENT_GROUPING, "notes-app", "c-1");
        }
    }

    @Test
    void admittedCarriesWhatWasCheckedPlusRedeliver() {
        for (boolean redeliver : new boolean[] {false, true}) {
            Admitted a = new Checked(CHANGE, "push-1", REJECTED, 9_000L).admitted(redeliver);
            assertEquals(new Admitted(CHANGE, "push-1", REJECTED, redeliver, 9_000L), a);
            Tuple t = tuple(TupleContract.ADMITTED_STREAM, Admitted.FIELDS, a.values());
            assertEquals(a, Admitted.of(t));
            assertGroupedBy(t, TupleContract.RECORD_GROUPING, "notes-app", "notes", "\"n-1\"");
        }
    }

    @Test
    void decidedNamesTheChangesClientAndSeq() {
        for (boolean ok : new boolean[] {false, true}) {
            Decided d = new Admitted(CHANGE, "push-1", null, false, 9_000L).decided(ok);
            assertEquals(new Decided("notes-app", "c-1", 7, "push-1", ok), d);
            Tuple t = tuple(TupleContract.DECIDED_STREAM, Decided.FIELDS, d.values());
            assertEquals(d, Decided.of(t));
            assertGroupedBy(t, TupleContract.CLIENT_GROUPING, "notes-app", "c-1");
        }
    }

    @Test
    void resolvedRoundTripsAndIsADelivery() {
        Resolved r = new Resolved(EVENT, true, 123_456L);
        Tuple t = tuple(TupleContract.RESOLVED_STREAM, Resolved.FIELDS, r.values());
        assertEquals(r, Resolved.of(t));
        assertEquals(r, TupleContract.delivery(t));
        assertGroupedBy(t, TupleContract.RECORD_GROUPING, "notes-app", "notes", "\"n-1\"");
    }

    @Test
    void rejectedEntryTravelsAsItsTreeAndIsADelivery() throws Exception {
        ObjectNode entry = (ObjectNode) Json.MAPPER.readTree("{\"eventId\":\"notes-app/c-1/7\",\"db\":\"notes-app\","
                + "\"clientId\":\"c-1\",\"seq\":7,\"change\":{\"seq\":7,\"store\":\"notes\",\"key\":\"n-1\",\"op\":\"put\"},"
                + "\"error\":{\"code\":\"schema\"},\"at\":1300}");
        RejectedEntry r = new RejectedEntry(entry, false, 99L);
        Tuple t = tuple(TupleContract.REJECTED_LOG_STREAM, RejectedEntry.FIELDS, r.values());
        RejectedEntry back = RejectedEntry.of(t);
        assertEquals(r, back);
        assertSame(entry, back.entry(), "in one worker the tree itself is handed on, not its text");
        assertInstanceOf(RejectedEntry.class, TupleContract.delivery(t));
        assertEquals(99L, TupleContract.delivery(t).answeredAt());
        assertGroupedBy(t, TupleContract.CLIENT_GROUPING, "notes-app", "c-1");
    }

    @Test
    void aTupleOfAnotherStreamIsNoDelivery() {
        Tuple t = tuple(TupleContract.DECIDED_STREAM, Decided.FIELDS, new Decided("d", "c", 1, "p", true).values());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TupleContract.delivery(t));
        assertTrue(e.getMessage().contains("decided"), e.getMessage());
    }

    @Test
    void everyStreamDeclaresEachFieldOnce() {
        for (Fields f : List.of(Received.FIELDS, Checked.FIELDS, Admitted.FIELDS, Decided.FIELDS, Resolved.FIELDS,
                RejectedEntry.FIELDS)) {
            assertEquals(f.size(), new java.util.HashSet<>(f.toList()).size(), f.toString());
        }
        assertNull(Checked.of(tuple(TupleContract.CHECKED_STREAM, Checked.FIELDS,
                new Checked(CHANGE, "p", null, 1L).values())).rejected());
    }

    private static void assertGroupedBy(Tuple t, Fields grouping, Object... expected) {
        assertEquals(List.of(expected), t.select(grouping), "grouping " + grouping);
    }

    /** A tuple as Storm makes it: its fields are the ones declared for its component's stream. */
    static Tuple tuple(String stream, Fields fields, List<Object> values) {
        Map<String, Map<String, Fields>> declared = Map.of("src", Map.of(stream, fields));
        GeneralTopologyContext context = new GeneralTopologyContext(null, new HashMap<>(), Map.of(1, "src"),
                Map.of("src", List.of(1)), declared, "test-topology");
        return new TupleImpl(context, values, "src", 1, stream);
    }
}
