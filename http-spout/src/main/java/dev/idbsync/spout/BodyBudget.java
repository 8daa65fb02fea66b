package dev.idbsync.spout;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of push bodies one spout task buffers at once (http.maxBufferedBodyBytes). A request
 * reserves each chunk before it buffers it and gives all back once its parsed push was handed
 * off or refused; a chunk that does not fit is refused, never waited for.
 */
final class BodyBudget {
    private final long limit;
    private final AtomicLong used = new AtomicLong();

    BodyBudget(long limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("a body budget needs at least 1 byte, not " + limit);
        }
        this.limit = limit;
    }

    /** Reserves {@code bytes} if they fit under the limit; false (and nothing reserved) if not. */
    boolean tryReserve(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes: " + bytes);
        }
        while (true) {
            long now = used.get();
            if (now + bytes > limit) {
                return false;
            }
            if (used.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Gives back bytes reserved before. */
    void release(long bytes) {
        long after = used.addAndGet(-bytes);
        if (after < 0) {
            throw new IllegalStateException("released more body bytes than were reserved (" + after + ")");
        }
    }

    long used() {
        return used.get();
    }

    long limit() {
        return limit;
    }
}
