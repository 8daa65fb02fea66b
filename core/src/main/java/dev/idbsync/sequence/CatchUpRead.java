package dev.idbsync.sequence;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One catch-up's reads (see {@link Sequencer#catchUp}): from seq {@code from} on, in chunks of
 * {@link Sequencer#CATCH_UP_FIRST_CHUNK} doubling up to {@link Sequencer#CATCH_UP_MAX_CHUNK},
 * until {@code last} or the first seq without an outcome.
 *
 * @param decided the last seq found decided ({@code from - 1} when none)
 * @param read how many seqs were looked up
 * @param stoppedAtMissing whether the reading stopped at a seq without an outcome
 */
record CatchUpRead(long decided, int read, boolean stoppedAtMissing) {

    static CatchUpRead of(String clientKey, long from, long last, Sequencer.DecidedLookup lookup) {
        long decided = from - 1;
        int chunk = Sequencer.CATCH_UP_FIRST_CHUNK;
        int read = 0;
        while (decided < last) {
            long to = Math.min(last, decided + chunk);
            List<Long> seqs = new ArrayList<>((int) (to - decided));
            for (long s = decided + 1; s <= to; s++) {
                seqs.add(s);
            }
            read += seqs.size();
            Set<Long> found = lookup.decided(clientKey, seqs);
            while (decided < to && found.contains(decided + 1)) {
                decided++;
            }
            if (decided < to) {
                return new CatchUpRead(decided, read, true);
            }
            chunk = Math.min(Sequencer.CATCH_UP_MAX_CHUNK, chunk * 2);
        }
        return new CatchUpRead(decided, read, false);
    }
}
