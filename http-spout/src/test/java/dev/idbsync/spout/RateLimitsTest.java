package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.idbsync.config.RateLimitConfig;
import io.github.bucket4j.TimeMeter;
import org.junit.jupiter.api.Test;

/** A token bucket per user, Retry-After rounded up, idle buckets dropped; with an injected clock. */
class RateLimitsTest {
    private long now;
    private final TimeMeter clock = new TimeMeter() {
        @Override
        public long currentTimeNanos() {
            return now;
        }

        @Override
        public boolean isWallClockBased() {
            return false;
        }
    };

    @Test
    void theBurstThenTheRateWithRetryAfterRoundedUp() {
        RateLimits limits = new RateLimits(new RateLimitConfig(2, 3), clock);
        assertEquals(0, limits.take("alice"));
        assertEquals(0, limits.take("alice"));
        assertEquals(0, limits.take("alice"));
        assertEquals(1, limits.take("alice"), "a token comes back in 0.5 s: 1 s, rounded up");
        assertEquals(0, limits.take("bob"), "a bucket per user");
        now += 500_000_000L;
        assertEquals(0, limits.take("alice"));
        assertEquals(1, limits.take("alice"));
    }

    @Test
    void aSlowRateAnswersTheWholeWait() {
        RateLimits limits = new RateLimits(new RateLimitConfig(1, 1), clock);
        assertEquals(0, limits.take("alice"));
        now += 200_000_000L;
        assertEquals(1, limits.take("alice"), "0.8 s rounds up to 1");
    }

    @Test
    void offTakesEverything() {
        for (int i = 0; i < 1000; i++) {
            assertEquals(0, RateLimits.OFF.take("alice"));
        }
        assertEquals(0, RateLimits.OFF.size());
    }

    @Test
    void bucketsFullAgainAreDroppedAndTheMapIsBounded() {
        RateLimits limits = new RateLimits(new RateLimitConfig(10, 10), clock);
        for (int i = 0; i < 5; i++) {
            limits.take("user-" + i);
        }
        assertEquals(5, limits.size());
        now += 2_000_000_000L; // 10 tokens at 10/s: full after 1 s
        limits.take("new");
        assertEquals(1, limits.size(), "the idle ones are gone");
        for (int i = 0; i < RateLimits.MAX_BUCKETS + 50; i++) {
            limits.take("many-" + i);
        }
        assertEquals(RateLimits.MAX_BUCKETS, limits.size());
    }
}
