package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.ignite.FeedStalls.Kind;
import dev.idbsync.ignite.FeedStalls.Stall;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** When something the feed names and a reader cannot see is waited for, and when it is skipped. */
class FeedStallsTest {
    private static final long BOUND = 1000;
    private final AtomicLong now = new AtomicLong(5_000);
    private final FeedStalls stalls = new FeedStalls(now::get, BOUND, 3);

    @Test
    void aStallIsWaitedForUntilItHasLastedTheBoundFromWhenItWasFirstSeen() {
        String k = FeedStalls.key("db", 0, 7);
        assertEquals("db|0|7", k);
        assertNull(stalls.overdue(Kind.RECORD, k, 10));
        now.addAndGet(BOUND - 1);
        assertNull(stalls.overdue(Kind.RECORD, k, 20));
        now.addAndGet(1);
        Stall s = stalls.overdue(Kind.RECORD, k, 30);
        assertNotNull(s);
        assertEquals(5_000, s.since());
        assertEquals(10, s.head(), "the head when it was first seen: only what was committed then may be skipped");
    }

    @Test
    void aSkipIsCountedOnceAndAgainOnlyAfterTheStallWasForgotten() {
        String k = FeedStalls.key("db", 0, 7);
        stalls.overdue(Kind.RECORD, k, 10);
        now.addAndGet(BOUND);
        assertNotNull(stalls.overdue(Kind.RECORD, k, 10));
        assertTrue(stalls.skip(Kind.RECORD, k));
        assertFalse(stalls.skip(Kind.RECORD, k));
        assertEquals(1, stalls.skipped());
        stalls.forget(Kind.RECORD, k);
        assertNull(stalls.overdue(Kind.RECORD, k, 10), "seen again after it was visible: a new wait");
    }

    @Test
    void theKindsAreKeptApart() {
        String k = FeedStalls.key("db", 1, 3);
        stalls.overdue(Kind.BLOCK, k, 10);
        now.addAndGet(BOUND);
        assertNotNull(stalls.overdue(Kind.BLOCK, k, 10));
        assertNull(stalls.overdue(Kind.RECORD, k, 10));
    }

    @Test
    void theLeastRecentlyUsedStallIsForgottenPastTheLimitAndWaitedForAgain() {
        stalls.overdue(Kind.BLOCK, "a", 1);
        stalls.overdue(Kind.BLOCK, "b", 1);
        stalls.overdue(Kind.BLOCK, "c", 1);
        now.addAndGet(BOUND);
        assertNotNull(stalls.overdue(Kind.BLOCK, "a", 1)); // used: "b" is now the eldest
        stalls.overdue(Kind.BLOCK, "d", 1);
        assertNull(stalls.overdue(Kind.BLOCK, "b", 1), "forgotten, so it begins again");
        assertNotNull(stalls.overdue(Kind.BLOCK, "a", 1));
    }

    @Test
    void aGapContinuedAtALaterPositionKeepsWhenItBeganAndItsHead() {
        stalls.overdue(Kind.BLOCK, "db|0|1", 50);
        now.addAndGet(BOUND);
        Stall s = stalls.overdue(Kind.BLOCK, "db|0|1", 50);
        stalls.continueAt(Kind.BLOCK, "db|0|21", s);
        Stall next = stalls.overdue(Kind.BLOCK, "db|0|21", 90);
        assertNotNull(next, "no new wait inside the gap");
        assertEquals(s.since(), next.since());
        assertEquals(50, next.head());
        assertTrue(stalls.skip(Kind.BLOCK, "db|0|21"), "its skip is logged where it goes on");
    }
}
