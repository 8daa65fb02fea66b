package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.config.HttpConfig;
import dev.idbsync.protocol.PushRequest;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The open pushes of a spout task: the cap, the deadlines, the sweeper and closing; with an injected clock and recorded answers. */
class OpenPushesTest {
    private static final PushRequest REQUEST = new PushRequest("notes-app", "c1", 1, 1, List.of());

    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private OpenPushes pushes;

    @AfterEach
    void close() {
        if (pushes != null) {
            pushes.close(0);
        }
    }

    private OpenPushes pushes(int cap, int timeoutMs) {
        HttpConfig config = HttpConfig.builder().maxRequestsInFlight(cap).requestTimeoutMs(timeoutMs).retryAfterSeconds(3).build();
        pushes = new OpenPushes(config, "t7-ab-", nanos::get);
        return pushes;
    }

    /** One answer as the client would get it. */
    record Answer(int status, String code, String message, int retryAfter, String body) {
    }

    /** Records what a push is answered; writes its answer at once unless told to hold it. */
    static final class Recorder implements PendingPush.Reply {
        final List<Answer> answers = new CopyOnWriteArrayList<>();
        final boolean writes;
        volatile Runnable done;

        Recorder(boolean writes) {
            this.writes = writes;
        }

        Recorder() {
            this(true);
        }

        @Override
        public void json(int status, String body) {
            answers.add(new Answer(status, null, null, 0, body));
            written();
        }

        @Override
        public void retryLater(Refusal cause, String message, int retryAfterSeconds) {
            answers.add(new Answer(cause.status, cause.code(), message, retryAfterSeconds, null));
            written();
        }

        private void written() {
            if (writes && done != null) { // no done: refused before it was held
                done.run();
            }
        }

        @Override
        public void onDone(Runnable done) {
            this.done = done;
        }

        Answer only() {
            assertEquals(1, answers.size(), answers.toString());
            return answers.get(0);
        }
    }

    @Test
    void pastTheCapAPushIs503WithRetryAfterAndTheNextOneFitsOnceOneIsAnswered() {
        pushes(2, 1000);
        PendingPush a = pushes.open(new Recorder(), REQUEST);
        PendingPush b = pushes.open(new Recorder(), REQUEST);
        assertNotNull(a);
        assertNotNull(b);
        Recorder third = new Recorder();
        assertNull(pushes.open(third, REQUEST));
        assertEquals(new Answer(503, "unavailable", "the server holds 2 pushes already (http.maxRequestsInFlight); retry later",
                3, null), third.only());
        assertEquals(2, pushes.size());

        pushes.answer(a, "{\"results\":[]}");
        assertEquals(1, pushes.size());
        assertNotNull(pushes.open(new Recorder(), REQUEST), "room again once a push is answered");
    }

    @Test
    void everyPushHasItsOwnKeyAfterThePrefix() {
        pushes(10, 1000);
        String k1 = pushes.open(new Recorder(), REQUEST).key;
        String k2 = pushes.open(new Recorder(), REQUEST).key;
        assertTrue(k1.startsWith("t7-ab-") && k2.startsWith("t7-ab-"), k1 + " " + k2);
        assertNotEquals(k1, k2);
    }

    @Test
    void aPushPastItsDeadlineIs503AndSaysRetryingIsSafe() {
        pushes(10, 1000);
        Recorder r = new Recorder();
        PendingPush p = pushes.open(r, REQUEST);
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(1000));
        pushes.expire();
        assertTrue(r.answers.isEmpty(), "not before the deadline");

        nanos.addAndGet(1);
        pushes.expire();
        assertEquals(new Answer(503, "unavailable", "the push was not completed within 1000 ms (http.requestTimeoutMs);"
                + " retrying the same request is safe", 3, null), r.only());
        assertTrue(p.answered());
        assertEquals(0, pushes.size());
        pushes.expire();
        pushes.answer(p, "{\"results\":[]}");
        assertEquals(1, r.answers.size(), "answered once");
    }

    @Test
    void aPushThatWaitedToBeEmittedHasItsWholeTimeoutFromItsFirstEmit() {
        pushes(10, 1000);
        Recorder r = new Recorder();
        PendingPush p = pushes.open(r, REQUEST);
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(700)); // held 700 ms (a worker was down)
        p.emitting(nanos.get(), 50_000L, 1000);
        assertEquals(51_000L, p.answeredAt, "the deadline its tuples carry");
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(1000));
        pushes.expire();
        assertTrue(r.answers.isEmpty(), "not before 1000 ms after the emit");
        nanos.addAndGet(1);
        pushes.expire();
        assertEquals(503, r.only().status());

        // emitted at once: the deadline does not move back
        Recorder r2 = new Recorder();
        PendingPush q = pushes.open(r2, REQUEST);
        long deadline = q.deadlineNanos;
        q.emitting(nanos.get() - TimeUnit.MILLISECONDS.toNanos(10), 0L, 1000);
        assertEquals(deadline, q.deadlineNanos);
    }

    @Test
    void aPushIsAnsweredOnceWhoeverComesFirst() {
        pushes(10, 1000);
        Recorder r = new Recorder();
        PendingPush p = pushes.open(r, REQUEST);
        pushes.answer(p, "{\"results\":[]}");
        pushes.unavailable(p, Refusal.TIMEOUT, "late");
        nanos.addAndGet(TimeUnit.SECONDS.toNanos(5));
        pushes.expire();
        assertEquals(new Answer(200, null, null, 0, "{\"results\":[]}"), r.only());
    }

    @Test
    void theSweeperAnswersPushesPastTheirDeadlineOnItsOwn() throws InterruptedException {
        pushes(10, 1000);
        pushes.startSweeper();
        Recorder late = new Recorder();
        pushes.open(late, REQUEST);
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(500));
        Recorder early = new Recorder();
        pushes.open(early, REQUEST);
        Thread.sleep(3 * OpenPushes.SWEEP_MS);
        assertTrue(late.answers.isEmpty());

        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(501));
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (late.answers.isEmpty() && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertEquals(503, late.only().status());
        assertTrue(late.only().message().contains("http.requestTimeoutMs"));
        assertTrue(early.answers.isEmpty(), "its deadline is 500 ms later");
        assertEquals(1, pushes.size());
    }

    @Test
    void closingAnswersEveryOpenPushWaitsForTheAnswersAndTakesNoMore() throws InterruptedException {
        pushes(10, 1000);
        List<Recorder> open = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Recorder r = new Recorder(false);
            open.add(r);
            pushes.open(r, REQUEST);
        }
        pushes.answer(pushes.open(new Recorder(), REQUEST), "{\"results\":[]}");
        Thread closing = new Thread(() -> pushes.close(10_000));
        closing.start();
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (open.stream().anyMatch(r -> r.answers.isEmpty()) && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        for (Recorder r : open) {
            assertEquals(new Answer(503, "unavailable", "the server is shutting down; retry the same request", 3, null), r.only());
        }
        Thread.sleep(200);
        assertTrue(closing.isAlive(), "close waits until the answers are written");
        open.forEach(r -> r.done.run());
        closing.join(5_000);
        assertFalse(closing.isAlive());
        assertEquals(0, pushes.size());

        Recorder after = new Recorder();
        assertNull(pushes.open(after, REQUEST));
        assertEquals(new Answer(503, "unavailable", "the server is shutting down; retry the same request", 3, null), after.only());
    }

    @Test
    void closingWaitsNoLongerThanItsBoundForAnAnswerThatIsNeverWritten() {
        pushes(10, 1000);
        pushes.open(new Recorder(false), REQUEST);
        long t0 = System.nanoTime();
        pushes.close(300);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms >= 250 && ms < 3_000, ms + " ms");
    }
}
