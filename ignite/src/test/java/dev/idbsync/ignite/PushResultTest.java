package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.protocol.Status;
import dev.idbsync.sequence.Sequencer;
import java.io.UncheckedIOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one codec of the sequencer's answer for a push it refused part way. */
class PushResultTest {
    @Test
    void theDocumentedPushResultsAreReadAndWrittenBackByteForByte() {
        // docs/ignite.md, "Push results"
        for (String stored : List.of("{\"fromSeq\":3,\"status\":\"out_of_order\",\"expectedSeq\":2}",
                "{\"fromSeq\":1,\"status\":\"pending\"}")) {
            assertEquals(stored, PushResult.fromJson(stored).toJson());
        }
        assertEquals(new PushResult(3, Status.OUT_OF_ORDER, 2L),
                PushResult.fromJson("{\"fromSeq\":3,\"status\":\"out_of_order\",\"expectedSeq\":2}"));
    }

    @Test
    void theSequencersRefusalsBecomePushResults() {
        Sequencer s = new Sequencer(60_000, 10, k -> 0);
        Sequencer.Outcome gap = s.offer("db/c1", 5, "p1", 0);
        assertEquals(new PushResult(5, Status.OUT_OF_ORDER, 1L), PushResult.refused(5, gap));
        s.offer("db/c2", 1, "p2", 0);
        Sequencer.Outcome pending = s.offer("db/c2", 2, "p3", 0);
        assertEquals(new PushResult(2, Status.PENDING, null), PushResult.refused(2, pending));
        assertEquals("{\"fromSeq\":2,\"status\":\"pending\"}", PushResult.refused(2, pending).toJson());
        assertThrows(IllegalArgumentException.class, () -> PushResult.refused(1, s.offer("db/c3", 1, "p4", 0)));
    }

    @Test
    void itAnswersTheChangesFromItsSeqOn() {
        PushResult r = new PushResult(3, Status.PENDING, null);
        assertFalse(r.covers(2));
        assertTrue(r.covers(3));
        assertTrue(r.covers(4));
    }

    @Test
    void onlyPendingAndOutOfOrderWithItsExpectedSeqAreAPushResult() {
        assertThrows(IllegalArgumentException.class, () -> new PushResult(1, Status.APPLIED, null));
        assertThrows(IllegalArgumentException.class, () -> new PushResult(1, Status.OUT_OF_ORDER, null));
        assertThrows(IllegalArgumentException.class, () -> new PushResult(1, Status.PENDING, 1L));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> PushResult.fromJson("{\"status\":\"pending\"}"));
        assertTrue(e.getMessage().contains("not in idbsync's format"), e.getMessage());
        assertThrows(UncheckedIOException.class, () -> PushResult.fromJson("{\"fromSeq\":"));
    }
}
