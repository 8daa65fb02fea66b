package dev.idbsync.pipelines.it;

import static dev.idbsync.pipelines.it.FileSinkHarness.log;
import static dev.idbsync.pipelines.it.FileSinkHarness.secondsSince;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.pipelines.it.FileSinkHarness.Client;
import dev.idbsync.pipelines.it.FileSinkHarness.Expected;
import dev.idbsync.pipelines.it.FileSinkHarness.Line;
import dev.idbsync.pipelines.it.FileSinkHarness.Push;
import dev.idbsync.pipelines.it.FileSinkHarness.Rejected;
import dev.idbsync.pipelines.it.FileSinkHarness.Run;
import dev.idbsync.pipelines.it.FileSinkHarness.SinkFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * A crash of the local run in the middle of a stream of pushes: SIGKILL while pushes are in
 * flight, then a restart on the same data dir, where the clients resend what got no answer. Nothing
 * answered 200 may be missing from the committed files, no committed file may hold a torn line,
 * what the crash left in progress is committed by the second run, and the only repeats are whole
 * lines of one eventId.
 */
@Tag("integration")
class CrashIT {
    private static final int CLIENTS = 3;
    private static final int CHANGES_PER_PUSH = 5;
    /** Push at least this long and this much before the kill, so that some files have rolled (every 5 s). */
    private static final Duration PUSH_BEFORE_KILL = Duration.ofSeconds(7);
    private static final int ACKED_BEFORE_KILL = 150;
    private static final int PUSHES_AFTER_RESTART = 2;
    private static final String TORN_ID = "notes-app/c-torn/1";
    private static final String TORN_LINE = "{\"eventId\":\"" + TORN_ID + "\",\"db\":\"notes-app\",\"store\":\"no";

    /** Kept when the test fails: the run's log is DIR/logs/idbsync.log, the sink's files under DIR. */
    @TempDir(cleanup = CleanupMode.ON_SUCCESS)
    Path tmp;

    @Test
    void aKilledRunLosesNoAcknowledgedChangeAndLeavesNoTornOrInProgressFile() throws Exception {
        long t0 = System.nanoTime();
        Path data = tmp.resolve("data");
        SinkFiles files = new SinkFiles(data);
        Map<String, Expected> acked = new ConcurrentHashMap<>();
        List<Rejected> rejected = new CopyOnWriteArrayList<>();
        AtomicInteger inFlight = new AtomicInteger();
        List<Pusher> pushers = new ArrayList<>();
        for (int i = 0; i < CLIENTS; i++) {
            pushers.add(new Pusher("c-crash-" + i, acked, rejected, inFlight));
        }
        ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
        try {
            // First run: push from every client until it is killed.
            int inFlightAtKill;
            try (Run first = Run.start(data)) {
                Client http = new Client(first.baseUrl());
                long tPush = System.nanoTime();
                List<Future<?>> running = new ArrayList<>();
                for (Pusher p : pushers) {
                    running.add(pool.submit(() -> p.pushUntilCut(http)));
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while ((acked.size() < ACKED_BEFORE_KILL || System.nanoTime() - tPush < PUSH_BEFORE_KILL.toNanos())
                        && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertTrue(acked.size() > 0, "no push was answered within 60 s: " + first.tail());
                while (inFlight.get() == 0 && System.nanoTime() < deadline) {
                    Thread.onSpinWait();
                }
                inFlightAtKill = inFlight.get();
                first.kill();
                for (Future<?> f : running) {
                    f.get(60, TimeUnit.SECONDS);
                }
                log("first run killed (SIGKILL) after %.1f s of pushing: %d changes acknowledged, %d pushes in flight, "
                        + "%d pushes got no answer", secondsSince(tPush), acked.size(), inFlightAtKill,
                        pushers.stream().filter(p -> p.unanswered != null).count());
            }
            assertTrue(inFlightAtKill > 0, "the kill came while pushes were in flight");
            int ackedInFirstRun = acked.size();

            // What the crash left in progress, and the complete lines in it.
            Map<Path, List<String>> leftInProgress = new LinkedHashMap<>();
            int torn = 0;
            for (Path f : files.inProgress()) {
                leftInProgress.put(f, SinkFiles.completeLines(f));
                String text = Files.readString(f);
                if (!text.isEmpty() && !text.endsWith("\n")) {
                    torn++;
                }
            }
            Set<String> leftIds = leftInProgress.values().stream().flatMap(List::stream)
                    .map(FileSinkHarness::eventId).collect(Collectors.toCollection(TreeSet::new));
            log("the crash left %d files in progress (%d with a torn last line) holding %d complete lines; %d files committed",
                    leftInProgress.size(), torn, leftIds.size(), files.committed(data).size());
            // SIGKILL cannot stop a write(2) half way, so a torn line comes from an OS crash or a
            // power cut. Make one, as that would: the start of a line, no newline.
            if (torn == 0 && !leftInProgress.isEmpty()) {
                Path f = leftInProgress.keySet().iterator().next();
                Files.writeString(f, TORN_LINE, StandardOpenOption.APPEND);
                log("appended a torn line to %s, as a crash of the machine mid-write would leave", data.relativize(f));
            }
            Map<Path, String> committedBeforeRestart = files.snapshot();

            // Second run on the same data dir: the clients resend what got no answer, then go on.
            try (Run second = Run.start(data)) {
                Client http = new Client(second.baseUrl());
                long tResume = System.nanoTime();
                List<Future<?>> resumed = new ArrayList<>();
                for (Pusher p : pushers) {
                    resumed.add(pool.submit(() -> {
                        p.resume(http, PUSHES_AFTER_RESTART);
                        return null;
                    }));
                }
                for (Future<?> f : resumed) {
                    f.get(120, TimeUnit.SECONDS);
                }
                long duplicates = pushers.stream().mapToLong(p -> p.duplicatesAfterRestart).sum();
                log("after the restart: resent %d unanswered pushes (%d changes came back duplicate; out_of_order sent clients "
                        + "back %s seqs before their push, as the stored marks lag by design), %d changes acknowledged in all, "
                        + "in %.1f s", pushers.stream().filter(p -> p.resent).count(), duplicates, http.outOfOrderBack,
                        acked.size(), secondsSince(tResume));
                assertTrue(acked.size() > ackedInFirstRun, "the second run acknowledges more");

                List<Line> lines = files.awaitCommitted(files.changesDir(), acked.keySet(), Duration.ofSeconds(60));

                // The second run has started and rolled: nothing the first run left in progress remains.
                List<Path> stillThere = leftInProgress.keySet().stream().filter(Files::exists).toList();
                assertEquals(List.of(), stillThere, "files the crash left in progress, still in progress after the second run rolled");
                Set<String> committedIds = lines.stream().map(Line::eventId).collect(Collectors.toSet());
                Set<String> lost = new TreeSet<>(leftIds);
                lost.removeAll(committedIds);
                assertEquals(Set.of(), lost, "complete lines the crash left in progress, in no committed file");

                // Every committed line is whole and follows the contract (read() checked that every
                // file ends with a newline and every line parses); the torn line is in none.
                List<Line> all = files.read(data.resolve("changes"));
                all.forEach(files::checkChangeLine);
                assertTrue(all.stream().noneMatch(l -> l.text().contains(TORN_ID)), "the torn line was cut off");

                // Each acknowledged change, with what it was answered; repeats are copies of one eventId.
                Map<String, List<Line>> byId = new TreeMap<>();
                lines.forEach(l -> byId.computeIfAbsent(l.eventId(), k -> new ArrayList<>()).add(l));
                for (Expected e : acked.values()) {
                    for (Line l : byId.get(e.eventId())) {
                        assertEquals(e.summary(), FileSinkHarness.summary(l.text()), "line " + l);
                    }
                }
                Set<String> unexpected = new TreeSet<>(byId.keySet());
                unexpected.removeAll(acked.keySet());
                int repeats = FileSinkHarness.repeats(lines);
                long repeatedIds = byId.values().stream().filter(l -> l.size() > 1).count();
                log("committed: %d lines in %d files, %d acknowledged changes all present, %d repeats (%d eventIds more than once), "
                        + "%d eventIds decided but never answered (the answer was lost in the crash)", lines.size(),
                        files.committed(files.changesDir()).size(), acked.size(), repeats, repeatedIds, unexpected.size());
                for (String id : unexpected) {
                    // Decided in the first run while the answer was lost, and not resent (a push
                    // cut before it reached the server is resent, so this is rare): still whole.
                    List<Line> ls = byId.get(id);
                    assertTrue(ls.stream().map(l -> FileSinkHarness.summary(l.text())).distinct().count() == 1,
                            "repeats of " + id + " differ: " + ls);
                }

                int exit = second.stop();
                assertTrue(exit == 0 || exit == 143, "exit code on SIGTERM: " + exit);
                assertEquals(List.of(), files.inProgress(), "a clean stop commits every file in progress");
                files.assertUnchanged(committedBeforeRestart);
                assertFalse(files.committed(files.changesDir()).isEmpty());
            }
        } finally {
            pool.shutdownNow();
        }
        log("CrashIT took %.1f s", secondsSince(t0));
    }

    /** One client: pushes batches in seq order; when a push gets no answer, keeps it to resend. */
    private static final class Pusher {
        private final String clientId;
        private final Map<String, Expected> acked;
        private final List<Rejected> rejected;
        private final AtomicInteger inFlight;
        private long nextSeq = 1;
        /** Everything this client has sent: the server may ask for any of it again (out_of_order). */
        private final Push outbox;
        volatile Push unanswered;
        volatile boolean resent;
        volatile long duplicatesAfterRestart;

        Pusher(String clientId, Map<String, Expected> acked, List<Rejected> rejected, AtomicInteger inFlight) {
            this.clientId = clientId;
            this.acked = acked;
            this.rejected = rejected;
            this.inFlight = inFlight;
            this.outbox = Push.by(clientId);
        }

        /** Pushes until a push gets no answer (the server went away). */
        Void pushUntilCut(Client http) throws InterruptedException {
            while (true) {
                Push p = nextPush();
                inFlight.incrementAndGet();
                Map<Long, JsonNode> results;
                try {
                    results = http.pushUntilDecided(p, outbox);
                } catch (IOException e) {
                    unanswered = p;
                    return null;
                } finally {
                    inFlight.decrementAndGet();
                }
                FileSinkHarness.record(p, results, acked, rejected);
                nextSeq = p.nextSeq();
            }
        }

        /** Resends the unanswered push (as a client must: the same seqs), then pushes {@code more}. */
        void resume(Client http, int more) throws IOException, InterruptedException {
            if (unanswered != null) {
                Map<Long, JsonNode> results = http.pushUntilDecided(unanswered, outbox);
                duplicatesAfterRestart = results.values().stream().filter(r -> r.path("status").asText().equals("duplicate")).count();
                FileSinkHarness.record(unanswered, results, acked, rejected);
                nextSeq = unanswered.nextSeq();
                unanswered = null;
                resent = true;
            }
            for (int i = 0; i < more; i++) {
                Push p = nextPush();
                FileSinkHarness.record(p, http.pushUntilDecided(p, outbox), acked, rejected);
                nextSeq = p.nextSeq();
            }
        }

        private Push nextPush() {
            Push p = Push.by(clientId).startingAt(nextSeq);
            for (int i = 0; i < CHANGES_PER_PUSH; i++) {
                long s = p.nextSeq();
                String key = clientId + "-n-" + s % 11;
                if (s % 9 == 0) {
                    p.delete(key, 1000);
                } else {
                    p.put(key, Push.note(clientId + ": note " + s % 11 + " edit " + s), 1000);
                }
            }
            outbox.append(p);
            return p;
        }
    }
}
