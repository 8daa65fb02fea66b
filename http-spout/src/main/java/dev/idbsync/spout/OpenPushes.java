package dev.idbsync.spout;

import dev.idbsync.config.HttpConfig;
import dev.idbsync.protocol.PushRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The pushes one spout task holds open while their changes travel the topology: at most
 * {@code http.maxRequestsInFlight} (past it a push gets 503 with {@code Retry-After} at once),
 * each answered once, and 503 at the latest {@code http.requestTimeoutMs} after it was taken (a
 * sweeper thread looks every {@value #SWEEP_MS} ms). Thread-safe: Undertow's threads open
 * pushes, the spout's executor and responder threads answer them.
 */
final class OpenPushes {
    /** How often the sweeper looks for pushes past their deadline. */
    static final long SWEEP_MS = 100;
    static final String SHUTTING_DOWN = "the server is shutting down; retry the same request";

    private final HttpConfig config;
    private final String keyPrefix;
    private final LongSupplier nanoClock;
    private final Map<Long, PendingPush> open = new ConcurrentHashMap<>();
    /** Pushes open or being opened; past the cap the increment is taken back. */
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicLong ids = new AtomicLong();
    private volatile boolean closed;
    private ScheduledExecutorService sweeper;

    /**
     * @param keyPrefix makes push keys unique across spout tasks and restarts; each push's key is
     *     this plus a number
     * @param nanoClock {@link System#nanoTime()}, or a test's
     */
    OpenPushes(HttpConfig config, String keyPrefix, LongSupplier nanoClock) {
        this.config = config;
        this.keyPrefix = keyPrefix;
        this.nanoClock = nanoClock;
    }

    /** Starts the sweeper thread, which answers the pushes past their deadline. */
    void startSweeper() {
        sweeper = Executors.newSingleThreadScheduledExecutor(daemon("idbsync-http-timeouts"));
        sweeper.scheduleWithFixedDelay(this::expire, SWEEP_MS, SWEEP_MS, TimeUnit.MILLISECONDS);
    }

    /**
     * Holds a push open and returns it with its key and deadline; or answers it 503 at once, when
     * {@code http.maxRequestsInFlight} pushes are open already or these are closed, and returns null.
     */
    PendingPush open(PendingPush.Reply reply, PushRequest request) {
        if (inFlight.incrementAndGet() > config.maxRequestsInFlight()) {
            inFlight.decrementAndGet();
            reply.retryLater(Refusal.IN_FLIGHT_CAP, "the server holds " + config.maxRequestsInFlight()
                    + " pushes already (http.maxRequestsInFlight); retry later", config.retryAfterSeconds());
            return null;
        }
        long id = ids.incrementAndGet();
        long timeout = TimeUnit.MILLISECONDS.toNanos(config.requestTimeoutMs());
        PendingPush push = new PendingPush(id, keyPrefix + id, reply, request, nanoClock.getAsLong() + timeout, timeout);
        open.put(id, push);
        if (closed) { // close() may have looked at the open pushes before this one was put
            unavailable(push, Refusal.SHUTTING_DOWN, SHUTTING_DOWN);
            return null;
        }
        return push;
    }

    /** Answers the push 200 with {@code body}, unless it was answered already; true when it did. */
    boolean answer(PendingPush push, String body) {
        if (push.claimAnswer()) {
            finished(push);
            push.reply.json(200, body);
            return true;
        }
        return false;
    }

    /** Answers the push 503 with {@code Retry-After}, unless it was answered already. */
    void unavailable(PendingPush push, Refusal cause, String message) {
        if (push.claimAnswer()) {
            finished(push);
            push.reply.retryLater(cause, message, config.retryAfterSeconds());
        }
    }

    private void finished(PendingPush push) {
        open.remove(push.id);
        inFlight.decrementAndGet();
    }

    /** Answers 503 every push past its deadline. */
    void expire() {
        long now = nanoClock.getAsLong();
        for (PendingPush p : open.values()) {
            if (now - p.deadlineNanos > 0) {
                unavailable(p, Refusal.TIMEOUT, "the push was not completed within " + config.requestTimeoutMs()
                        + " ms (http.requestTimeoutMs); retrying the same request is safe");
            }
        }
    }

    /** Pushes held open now. */
    int size() {
        return open.size();
    }

    /**
     * Takes no more pushes, answers every open one 503 ({@link #SHUTTING_DOWN}) and waits, up to
     * {@code waitMs} in all, until their answers are written out, so that the listener can be
     * stopped after this returns without cutting them off. Stops the sweeper.
     */
    void close(long waitMs) {
        closed = true;
        if (sweeper != null) {
            sweeper.shutdownNow();
        }
        List<PendingPush> held = new ArrayList<>(open.values());
        for (PendingPush p : held) {
            unavailable(p, Refusal.SHUTTING_DOWN, SHUTTING_DOWN);
        }
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs); // real time, whatever the clock
        try {
            for (PendingPush p : held) {
                p.awaitDone(Math.max(0, end - System.nanoTime()));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Daemon threads named {@code name-1}, {@code name-2}, ...: none of them keeps a worker alive. */
    static ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
