package dev.idbsync.config;

import java.io.Serializable;

/** STAND-IN until h/auth-core lands; deleted at the merge. 0 requests per second: off. */
public record RateLimitConfig(int requestsPerSecond, int burst) implements Serializable {
    public static final RateLimitConfig OFF = new RateLimitConfig(0, 0);

    public boolean enabled() {
        return requestsPerSecond > 0;
    }
}
