package dev.idbsync.spout;

import dev.idbsync.config.RateLimitConfig;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The rate limits of one spout task (issue 12): a Bucket4j token bucket per user (per client
 * address when auth is off), {@code requestsPerSecond} refilled greedily up to {@code burst}.
 * Each task counts on its own, so a user's effective rate is the configured one times the spout
 * tasks a load balancer spreads it over (docs/auth.md, "Rate limits"). Thread-safe.
 *
 * <p>The buckets are held in a bounded map, least recently used first: a bucket idle for
 * {@code burst / requestsPerSecond} seconds is full again, the same as a new one, so dropping it
 * changes nothing; those are dropped as requests come, and past {@link #MAX_BUCKETS} the least
 * recently used goes.
 */
final class RateLimits {
    /**
     * Buckets held per task. A Bucket4j local bucket and its key take a few hundred bytes, so this
     * is a few MiB at most; more users active within one refill time than this only lets the
     * least recently seen start with a full bucket again.
     */
    static final int MAX_BUCKETS = 20_000;
    /** Limits off: every request passes. */
    static final RateLimits OFF = new RateLimits(new RateLimitConfig(0, 0), TimeMeter.SYSTEM_NANOTIME);

    private final RateLimitConfig config;
    private final TimeMeter clock;
    private final long fullAfterNanos;
    private final LinkedHashMap<String, Held> buckets = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Held> eldest) {
            return size() > MAX_BUCKETS;
        }
    };

    private static final class Held {
        final Bucket bucket;
        long lastUsedNanos;

        Held(Bucket bucket) {
            this.bucket = bucket;
        }
    }

    /** @param clock {@link TimeMeter#SYSTEM_NANOTIME}, or a test's */
    RateLimits(RateLimitConfig config, TimeMeter clock) {
        this.config = config;
        this.clock = clock;
        this.fullAfterNanos = config.enabled()
                ? Duration.ofSeconds(1).toNanos() * Math.max(1, config.burst()) / config.requestsPerSecond() : 0;
    }

    boolean enabled() {
        return config.enabled();
    }

    RateLimitConfig config() {
        return config;
    }

    /**
     * Takes one request from {@code who}'s bucket.
     *
     * @return 0 when the request may go on, else the seconds (at least 1, rounded up) until it may
     */
    int take(String who) {
        if (!config.enabled()) {
            return 0;
        }
        Held held;
        long now = clock.currentTimeNanos();
        synchronized (buckets) {
            dropIdle(now);
            held = buckets.computeIfAbsent(who, k -> new Held(newBucket()));
            held.lastUsedNanos = now;
        }
        ConsumptionProbe probe = held.bucket.tryConsumeAndReturnRemaining(1);
        if (probe.isConsumed()) {
            return 0;
        }
        long nanos = probe.getNanosToWaitForRefill();
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, (nanos + 999_999_999L) / 1_000_000_000L));
    }

    /** Buckets held now, for tests. */
    int size() {
        synchronized (buckets) {
            return buckets.size();
        }
    }

    /** Drops the least recently used buckets that are full again (a few per call: the map is in use order). */
    private void dropIdle(long now) {
        Iterator<Held> it = buckets.values().iterator();
        for (int i = 0; i < 8 && it.hasNext(); i++) {
            if (now - it.next().lastUsedNanos <= fullAfterNanos) {
                return;
            }
            it.remove();
        }
    }

    private Bucket newBucket() {
        return Bucket.builder()
                .addLimit(limit -> limit.capacity(Math.max(1, config.burst()))
                        .refillGreedy(config.requestsPerSecond(), Duration.ofSeconds(1)))
                .withCustomTimePrecision(clock)
                .build();
    }
}
