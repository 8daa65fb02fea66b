package dev.idbsync.spout;

import dev.idbsync.protocol.PushRequest;
import io.undertow.server.HttpServerExchange;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One push held open while its changes travel the topology. Shared between Undertow's threads
 * (which create it), the spout's executor thread (emit, ack, fail) and the spout's responder
 * threads (which answer it); every field that changes is atomic and the answer is sent once.
 */
final class PendingPush {
    final long id;
    /** Unique across spout tasks and restarts: names the push in outcomes ("by") and push results. */
    final String key;
    final HttpServerExchange exchange;
    final PushRequest request;
    final long deadlineNanos;
    /** Changes not acked yet. */
    final AtomicInteger outstanding;
    /** Index of the next change to emit; touched only by the spout's executor thread. */
    int nextToEmit;
    private final AtomicBoolean answered = new AtomicBoolean();

    PendingPush(long id, String key, HttpServerExchange exchange, PushRequest request, long deadlineNanos) {
        this.id = id;
        this.key = key;
        this.exchange = exchange;
        this.request = request;
        this.deadlineNanos = deadlineNanos;
        this.outstanding = new AtomicInteger(request.changes().size());
    }

    /** True for the one caller that may answer this push. */
    boolean claimAnswer() {
        return answered.compareAndSet(false, true);
    }

    boolean answered() {
        return answered.get();
    }
}
