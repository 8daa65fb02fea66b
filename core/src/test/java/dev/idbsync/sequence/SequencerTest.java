package dev.idbsync.sequence;

import static dev.idbsync.sequence.Sequencer.Verdict.ADMIT;
import static dev.idbsync.sequence.Sequencer.Verdict.DUPLICATE;
import static dev.idbsync.sequence.Sequencer.Verdict.OUT_OF_ORDER;
import static dev.idbsync.sequence.Sequencer.Verdict.PENDING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The seq rules of PROTOCOL.md, with an injected clock and stored marks. */
class SequencerTest {
    private static final String C = "notes-app/c1";
    private final Map<String, Long> stored = new HashMap<>();
    private final Sequencer seq = new Sequencer(30_000, 1000, k -> stored.getOrDefault(k, 0L));
    private long now = 1_000;

    private Sequencer.Outcome offer(long s, String push) {
        return seq.offer(C, s, push, now);
    }

    @Test
    void aNewClientStartsAtSeq1AndSeqsAreAdmittedInOrder() {
        assertEquals(ADMIT, offer(1, "p1").verdict());
        assertEquals(ADMIT, offer(2, "p1").verdict());
        assertEquals(ADMIT, offer(3, "p1").verdict());
    }

    @Test
    void aGapIsOutOfOrderWithTheExpectedSeqAndSoIsEveryLaterChangeOfThePush() {
        assertEquals(new Sequencer.Outcome(OUT_OF_ORDER, 1), offer(2, "p1"));
        assertEquals(new Sequencer.Outcome(OUT_OF_ORDER, 1), offer(3, "p1"), "the push stays refused");
        assertEquals(ADMIT, offer(1, "p2").verdict(), "the seq was not used up");
    }

    @Test
    void aDecidedSeqIsADuplicateAndMovesTheMark() {
        offer(1, "p1");
        offer(2, "p1");
        seq.decided(C, 1);
        seq.decided(C, 2);
        assertEquals(DUPLICATE, offer(1, "p2").verdict());
        assertEquals(DUPLICATE, offer(2, "p2").verdict());
        assertEquals(ADMIT, offer(3, "p2").verdict());
        assertEquals(Map.of(C, 2L), seq.takeDirtyMarks());
        assertEquals(Map.of(), seq.takeDirtyMarks(), "handed over once");
    }

    @Test
    void theMarkMovesOnlyOverContiguousDecidedSeqs() {
        offer(1, "p1");
        offer(2, "p1");
        offer(3, "p1");
        seq.decided(C, 3); // another resolver task was quicker
        assertEquals(Map.of(), seq.takeDirtyMarks());
        seq.decided(C, 1);
        assertEquals(Map.of(C, 1L), seq.takeDirtyMarks());
        seq.decided(C, 2);
        assertEquals(Map.of(C, 3L), seq.takeDirtyMarks());
    }

    @Test
    void aSeqInFlightFromAnotherPushIsPendingForThatPushsEveryChange() {
        offer(1, "p1");
        offer(2, "p1");
        assertEquals(PENDING, offer(1, "p2").verdict());
        assertEquals(PENDING, offer(2, "p2").verdict());
        assertEquals(PENDING, offer(3, "p2").verdict(), "every later change of the push is pending too");
        assertTrue(seq.blocked("p2"));
    }

    @Test
    void theNextSeqIsPendingWhileAnEarlierPushOfTheClientIsInFlight() {
        offer(1, "p1");
        assertEquals(PENDING, offer(2, "p2").verdict());
        seq.decided(C, 1);
        assertEquals(ADMIT, offer(2, "p3").verdict());
    }

    @Test
    void aReplayOfTheSamePushIsAdmittedAgain() {
        offer(1, "p1");
        assertEquals(ADMIT, offer(1, "p1").verdict());
    }

    @Test
    void aReleasedChangeIsTakenBackWithEverythingAfterItSoTheRetryIsAdmitted() {
        offer(1, "p1");
        offer(2, "p1");
        offer(3, "p1");
        seq.decided(C, 1);
        seq.released(C, 2, "p1");
        assertEquals(DUPLICATE, offer(1, "p2").verdict());
        assertEquals(ADMIT, offer(2, "p2").verdict());
        assertEquals(ADMIT, offer(3, "p2").verdict());
    }

    @Test
    void aReleaseOfAnotherPushsAttemptChangesNothing() {
        offer(1, "p1");
        seq.released(C, 1, "p0");
        assertEquals(PENDING, offer(1, "p2").verdict());
    }

    @Test
    void aChangeAdmittedTooLongAgoIsTakenBack() {
        offer(1, "p1");
        now += 30_001;
        assertEquals(ADMIT, offer(1, "p2").verdict(), "its tuple tree timed out; the retry may go");
    }

    @Test
    void aRestartedTaskStartsFromTheStoredMark() {
        stored.put(C, 7L);
        assertEquals(DUPLICATE, offer(7, "p1").verdict());
        assertEquals(new Sequencer.Outcome(OUT_OF_ORDER, 8), offer(9, "p2"));
        assertEquals(ADMIT, offer(8, "p3").verdict());
    }

    @Test
    void aMarkThatLagsIsMovedOverSeqsKnownDecided() {
        stored.put(C, 3L);
        assertEquals(4, seq.next(C));
        seq.decidedUpTo(C, 9);
        assertEquals(ADMIT, offer(10, "p1").verdict(), "no out_of_order for seqs the client was answered for");
        assertEquals(DUPLICATE, offer(7, "p2").verdict());
        assertEquals(Map.of(C, 9L), seq.takeDirtyMarks());
    }

    @Test
    void clientsAreIndependent() {
        offer(1, "p1");
        assertEquals(ADMIT, seq.offer("notes-app/c2", 1, "q1", now).verdict());
        assertEquals(ADMIT, seq.offer("other-db/c1", 1, "r1", now).verdict());
    }

    @Test
    void idleClientsAreForgottenPastTheLimitAndComeBackFromTheirMark() {
        Sequencer small = new Sequencer(30_000, 2, k -> stored.getOrDefault(k, 0L));
        for (int i = 0; i < 5; i++) {
            String c = "db/c" + i;
            small.offer(c, 1, "p" + i, now);
            small.decided(c, 1);
        }
        assertTrue(small.clientCount() <= 2, "memory stays bounded: " + small.clientCount());
        stored.putAll(small.takeDirtyMarks());
        assertEquals(DUPLICATE, small.offer("db/c0", 1, "again", now).verdict());
    }

    // ------------------------------------------------------------------ catching up a lagging mark

    /** Outcomes in Ignite, as seqs up to {@code decidedUpTo}; counts the seqs read and the reads. */
    private static final class CountingLookup implements Sequencer.DecidedLookup {
        final long decidedUpTo;
        long keysRead;
        int reads;

        CountingLookup(long decidedUpTo) {
            this.decidedUpTo = decidedUpTo;
        }

        @Override
        public java.util.Set<Long> decided(String clientKey, java.util.List<Long> seqs) {
            reads++;
            keysRead += seqs.size();
            java.util.Set<Long> out = new java.util.HashSet<>();
            for (long s : seqs) {
                if (s <= decidedUpTo) {
                    out.add(s);
                }
            }
            return out;
        }
    }

    @Test
    void aSeqFarAheadCostsOneSmallReadAndItsRepeatsNone() {
        stored.put(C, 5L);
        CountingLookup lookup = new CountingLookup(5); // nothing decided past the mark
        assertEquals(16, seq.catchUp(C, 6 + 1_000_000, lookup));
        assertEquals(1, lookup.reads);
        assertTrue(lookup.keysRead <= 16, lookup.keysRead + " keys read");
        assertEquals(new Sequencer.Outcome(OUT_OF_ORDER, 6), offer(6 + 1_000_000, "p1"));
        // the client (or anyone with its clientId) keeps pushing far ahead: nothing more is read
        for (int i = 0; i < 100; i++) {
            assertEquals(0, seq.catchUp(C, 1_000_000L + i * 7919L, lookup));
        }
        assertEquals(16, lookup.keysRead);
        assertEquals(ADMIT, offer(6, "p2").verdict(), "the real next seq is admitted");
    }

    @Test
    void aMarkLagging3000DecidedSeqsIsCaughtUp() {
        stored.put(C, 100L);
        CountingLookup lookup = new CountingLookup(3_100); // a crash lost 3,000 seqs of mark moves
        int read = seq.catchUp(C, 3_101, lookup);
        assertEquals(3_000, read, "every seq in between read once");
        assertTrue(lookup.reads <= 8, lookup.reads + " reads");
        assertEquals(3_101, seq.next(C));
        assertEquals(ADMIT, offer(3_101, "p1").verdict(), "no out_of_order for seqs the client was answered for");
        assertEquals(Map.of(C, 3_100L), seq.takeDirtyMarks());
    }

    @Test
    void aCatchUpStopsAtTheFirstSeqWithoutAnOutcome() {
        stored.put(C, 0L);
        CountingLookup lookup = new CountingLookup(40); // seqs 1-40 decided, the mark lags at 0
        int read = seq.catchUp(C, 5_000, lookup);
        assertEquals(16 + 32, read, "a chunk of 16, then of 32 that holds the first undecided seq");
        assertEquals(41, seq.next(C));
        assertEquals(new Sequencer.Outcome(OUT_OF_ORDER, 41), offer(5_000, "p1"));
        assertEquals(0, seq.catchUp(C, 5_000, lookup), "remembered: nothing more at 41");
        assertEquals(ADMIT, offer(41, "p2").verdict());
    }

    @Test
    void aCatchUpReadsNothingWhenTheSeqIsNextOrTheClientHasSeqsInFlight() {
        CountingLookup lookup = new CountingLookup(1_000);
        assertEquals(0, seq.catchUp(C, 1, lookup));
        assertEquals(ADMIT, offer(1, "p1").verdict());
        assertEquals(0, seq.catchUp(C, 500, lookup), "seq 1 is in flight: the mark does not lag");
        assertEquals(0, lookup.reads);
    }

    @Test
    void aNextPushThatArrivesBeforeTheDecidedNoticeIsAdmittedWhenTheOutcomesAreThere() {
        assertEquals(ADMIT, offer(1, "p1").verdict());
        assertEquals(ADMIT, offer(2, "p1").verdict());
        // p1 was committed and answered, its notices are still on their way; p2 comes first
        CountingLookup lookup = new CountingLookup(2);
        assertEquals(2, seq.settleInFlight(C, 3, "p2", lookup), "seqs 1 and 2 read");
        assertEquals(1, lookup.reads);
        assertEquals(ADMIT, offer(3, "p2").verdict());
        assertEquals(2, seq.mark(C), "the mark moved as the notices would have moved it");
        seq.decided(C, 1); // the late notices change nothing
        seq.decided(C, 2);
        assertEquals(2, seq.mark(C));
        assertEquals(0, seq.settleInFlight(C, 4, "p2", lookup), "its own push: nothing to wait for");
    }

    @Test
    void aNextPushStaysPendingWhileTheEarlierPushIsReallyUndecided() {
        assertEquals(ADMIT, offer(1, "p1").verdict());
        assertEquals(ADMIT, offer(2, "p1").verdict());
        CountingLookup lookup = new CountingLookup(1); // seq 1 committed, seq 2 not yet
        assertEquals(2, seq.settleInFlight(C, 3, "p2", lookup));
        assertEquals(PENDING, offer(3, "p2").verdict());
        assertEquals(1, seq.mark(C));
        assertEquals(0, seq.settleInFlight(C, 4, "p2", lookup), "a push refused before reads nothing");
        // a retry of p1 itself (the same seq, the same push) is not pending: nothing read either
        assertEquals(0, seq.settleInFlight(C, 2, "p1", lookup));
        assertEquals(1, lookup.reads);
    }

    @Test
    void aRetryOfAnInFlightSeqFromAnotherPushBecomesADuplicateOnceItsOutcomeIsThere() {
        assertEquals(ADMIT, offer(1, "p1").verdict());
        assertEquals(ADMIT, offer(2, "p1").verdict());
        CountingLookup lookup = new CountingLookup(2);
        assertEquals(2, seq.settleInFlight(C, 2, "p1-retry", lookup), "seqs up to 2 read, not past it");
        assertEquals(DUPLICATE, offer(2, "p1-retry").verdict());
    }

    @Test
    void aSettleReadsAtMostMaxSettleSeqs() {
        for (int s = 1; s <= 3_000; s++) {
            assertEquals(ADMIT, offer(s, "big").verdict());
        }
        CountingLookup lookup = new CountingLookup(3_000);
        assertEquals(Sequencer.MAX_SETTLE, seq.settleInFlight(C, 3_001, "next", lookup));
        assertEquals(Sequencer.MAX_SETTLE, lookup.keysRead);
        assertEquals(PENDING, offer(3_001, "next").verdict(), "seqs past the first 1,024 are still undecided here");
        assertEquals(Sequencer.MAX_SETTLE, seq.mark(C));
        assertEquals(0, seq.settleInFlight(C, 1, "x", lookup), "a decided seq reads nothing");
        assertEquals(0, seq.settleInFlight("notes-app/unknown", 1, "y", lookup), "nor a client not in memory");
    }
}
