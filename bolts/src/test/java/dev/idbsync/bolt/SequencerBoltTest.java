package dev.idbsync.bolt;

import static dev.idbsync.sequence.Sequencer.Verdict.ADMIT;
import static dev.idbsync.sequence.Sequencer.Verdict.PENDING;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.sequence.Sequencer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SequencerBoltTest {
    private static SyncConfig load(String file) {
        return ConfigLoader.load(Path.of("..", "conf", file).toAbsolutePath().normalize());
    }

    @Test
    void aChangeInFlightIsTakenBackOnceItsPushsDeadlineHasPassed() {
        // conf/cluster.yaml: requestTimeoutMs 6000, messageTimeoutSecs 10: the push's deadline + 1 s
        assertEquals(7_000, SequencerBolt.inFlightTimeoutMs(load("cluster.yaml")));
    }

    @Test
    void orAfterTheMessageTimeoutPlusFiveSecondsWhenThatComesFirst() {
        // conf/local.yaml: requestTimeoutMs 35000, messageTimeoutSecs 30
        assertEquals(35_000, SequencerBolt.inFlightTimeoutMs(load("local.yaml")));
    }

    /** Outcomes in Ignite: the seqs of {@code decided}; records every read. */
    private static final class Outcomes implements Sequencer.DecidedLookup {
        final Set<Long> decided = new HashSet<>();
        final List<List<Long>> reads = new ArrayList<>();

        @Override
        public Set<Long> decided(String clientKey, List<Long> seqs) {
            reads.add(List.copyOf(seqs));
            Set<Long> out = new HashSet<>(seqs);
            out.retainAll(decided);
            return out;
        }
    }

    private static final String C = "notes-app/c1";

    @Test
    void aPushThatOvertakesTheDecidedNoticesOfTheLastOneIsAdmitted() {
        Sequencer s = new Sequencer(30_000, 100, k -> 0L);
        Outcomes ignite = new Outcomes();
        assertEquals(ADMIT, SequencerBolt.offer(s, C, 1, "p1", false, 1_000, ignite).verdict());
        assertEquals(ADMIT, SequencerBolt.offer(s, C, 2, "p1", false, 1_000, ignite).verdict());
        assertEquals(List.of(), ignite.reads, "nothing read while admitting in order");
        ignite.decided.addAll(List.of(1L, 2L)); // committed and answered; the notices lag behind

        assertEquals(ADMIT, SequencerBolt.offer(s, C, 3, "p2", false, 1_010, ignite).verdict());
        assertEquals(List.of(List.of(1L, 2L)), ignite.reads);
        assertEquals(2, s.mark(C));
    }

    @Test
    void aPushBehindOneReallyInFlightIsPendingAndItsLaterChangesReadNothing() {
        Sequencer s = new Sequencer(30_000, 100, k -> 0L);
        Outcomes ignite = new Outcomes();
        SequencerBolt.offer(s, C, 1, "p1", false, 1_000, ignite);
        assertEquals(PENDING, SequencerBolt.offer(s, C, 2, "p2", false, 1_010, ignite).verdict());
        assertEquals(PENDING, SequencerBolt.offer(s, C, 3, "p2", true, 1_010, ignite).verdict());
        assertEquals(List.of(List.of(1L)), ignite.reads, "one read for the push, none for its later change");
    }

    @Test
    void aSeqFarAheadOfALaggingMarkIsCaughtUpFirst() {
        Sequencer s = new Sequencer(30_000, 100, k -> 5L); // the stored mark lags: 6 and 7 were decided
        Outcomes ignite = new Outcomes();
        ignite.decided.addAll(List.of(6L, 7L));
        assertEquals(ADMIT, SequencerBolt.offer(s, C, 8, "p", false, 1_000, ignite).verdict());
    }
}
