package dev.idbsync.spout;

import dev.idbsync.protocol.PushRequest;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One push held open while its changes travel the topology. Shared between Undertow's threads
 * (which create it), the spout's executor thread (emit, ack, fail) and the spout's responder
 * threads (which answer it); every field that changes is atomic and the answer is sent once.
 */
final class PendingPush {
    /** Where a push's one answer goes: its HTTP exchange ({@link Responses#replyTo}), or a test's recorder. */
    interface Reply {
        void json(int status, String body);

        /** An error with {@code Retry-After}; see {@link Responses#retryLater}. */
        void retryLater(Refusal cause, String message, int retryAfterSeconds);

        /** Runs {@code done} once the answer has been written out, or the exchange ended without one. */
        void onDone(Runnable done);
    }

    final long id;
    /** Unique across spout tasks and restarts: names the push in outcomes ("by") and push results. */
    final String key;
    final Reply reply;
    final PushRequest request;
    /** When the push was opened (System.nanoTime's scale, as the deadline). */
    final long openedNanos;
    /**
     * When the push is answered 503 at the latest: opened + http.requestTimeoutMs, moved to when
     * its first change is emitted + http.requestTimeoutMs ({@link #emitting}).
     */
    volatile long deadlineNanos;
    /** The deadline as the tuples carry it (epoch ms), set when the first change is emitted; spout executor thread only. */
    long answeredAt;
    /** Changes not acked yet. */
    final AtomicInteger outstanding;
    /** Index of the next change to emit; touched only by the spout's executor thread. */
    int nextToEmit;
    private final AtomicBoolean answered = new AtomicBoolean();
    private final CountDownLatch done = new CountDownLatch(1);

    PendingPush(long id, String key, Reply reply, PushRequest request, long deadlineNanos, long timeoutNanos) {
        this.id = id;
        this.key = key;
        this.reply = reply;
        this.request = request;
        this.deadlineNanos = deadlineNanos;
        this.openedNanos = deadlineNanos - timeoutNanos;
        this.outstanding = new AtomicInteger(request.changes().size());
        reply.onDone(done::countDown);
    }

    /**
     * The push's first change is emitted now: it gets its whole timeout from now on, in the spout
     * and in the bolts. Only a push that waited to be emitted (while a worker was down, or while
     * {@code topology.maxSpoutPending} tuples were in flight) gains anything; one still waiting at
     * its first deadline was answered 503 then.
     */
    void emitting(long nowNanos, long nowMillis, long timeoutMs) {
        deadlineNanos = Math.max(deadlineNanos, nowNanos + TimeUnit.MILLISECONDS.toNanos(timeoutMs));
        answeredAt = nowMillis + timeoutMs;
    }

    /** True for the one caller that may answer this push. */
    boolean claimAnswer() {
        return answered.compareAndSet(false, true);
    }

    boolean answered() {
        return answered.get();
    }

    /** Waits up to {@code nanos} for the answer to be written out; true once it is. */
    boolean awaitDone(long nanos) throws InterruptedException {
        return done.await(nanos, TimeUnit.NANOSECONDS);
    }
}
