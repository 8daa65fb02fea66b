package dev.idbsync.config;

import java.io.Serializable;

/**
 * The {@code rateLimit} section: a token bucket per user when auth is on, per client address
 * when it is off; a request over it is answered 429 {@code rate_limited} with {@code Retry-After}.
 *
 * @param requestsPerSecond the bucket's refill rate; 0 (the default): no rate limit
 * @param burst             the bucket's size: requests a caller may make at once after a quiet spell
 */
public record RateLimitConfig(int requestsPerSecond, int burst) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** Off: the in-flight cap and the body budget still bound what one caller can hold. */
    public static final int DEFAULT_REQUESTS_PER_SECOND = 0;

    public RateLimitConfig {
        Check.range("rateLimit.requestsPerSecond", requestsPerSecond, 0, 1_000_000);
        if (requestsPerSecond == 0 && burst != 0) {
            throw new IllegalStateException("rateLimit.burst: " + burst + " is set while rateLimit.requestsPerSecond"
                    + " is 0 (off); set rateLimit.requestsPerSecond too, or remove rateLimit.burst");
        }
        if (requestsPerSecond > 0) {
            Check.range("rateLimit.burst", burst, 1, 10_000_000);
        }
    }

    /** The rate with its default burst: twice a second's requests, at least 1. */
    public static RateLimitConfig of(int requestsPerSecond) {
        return new RateLimitConfig(requestsPerSecond, defaultBurst(requestsPerSecond));
    }

    public static RateLimitConfig off() {
        return new RateLimitConfig(0, 0);
    }

    private static int defaultBurst(int requestsPerSecond) {
        return requestsPerSecond <= 0 ? 0 : (int) Math.min(10_000_000L, Math.max(1L, 2L * requestsPerSecond));
    }

    /** Whether requests are limited at all. */
    public boolean enabled() {
        return requestsPerSecond > 0;
    }

    /** The {@code rateLimit} section of the config file. */
    static RateLimitConfig fromYaml(Section s) {
        int rps = s.integer("requestsPerSecond", DEFAULT_REQUESTS_PER_SECOND);
        boolean burstGiven = s.has("burst");
        int burst = s.integer("burst", 0);
        s.finish();
        return new RateLimitConfig(rps, burstGiven ? burst : defaultBurst(rps));
    }
}
