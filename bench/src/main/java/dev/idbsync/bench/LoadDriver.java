package dev.idbsync.bench;

import java.io.IOException;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Closed-loop HTTP load: {@code clients} virtual clients, each on its own thread and its own
 * kept-alive connection, each sending its next request as soon as it has the answer to the
 * previous one. Each client has its own {@code clientId} and consecutive seqs, sends
 * {@code changes} changes per request (puts of values of {@code valueBytes} bytes of JSON over
 * {@code keys} keys of its own), and checks every answer. The first {@code warmup} seconds are
 * not counted; then every request that completes in the next {@code seconds} seconds is.
 * The bodies are {@link RequestBodies}', the checks {@link AnswerCheck}'s.
 */
final class LoadDriver {
    /** What the target speaks. */
    enum Wire {
        /** PROTOCOL.md's push, answered with one result per change (idbsync, same-work, bare). */
        PUSH,
        /** Flume's JSONHandler: a JSON array of events; 200 with no body once the channel has them. */
        FLUME_JSON
    }

    record Shape(int clients, int changes) {
        String label() {
            return clients + "x" + changes;
        }
    }

    record Settings(int valueBytes, int keys, int warmupSeconds, int seconds, int requestTimeoutMs) {
    }

    /** The figures of one shape against one target. */
    record Figures(long requests, long changes, double seconds, double changesPerSecond, double p50Ms, double p90Ms,
                   double p99Ms, double maxMs, long unavailable, long ioErrors, long wrong, long conflicts,
                   String firstProblem, long[] windowNanos) {
        boolean ok() {
            return wrong == 0 && changes > 0;
        }
    }

    private final String host;
    private final int port;
    private final String path;
    private final Wire wire;
    private final Shape shape;
    private final Settings settings;
    /** Unique per target and shape, so that no clientId or key is reused within a data dir. */
    private final String tag;

    LoadDriver(String host, int port, String path, Wire wire, Shape shape, Settings settings, String tag) {
        this.host = host;
        this.port = port;
        this.path = path;
        this.wire = wire;
        this.shape = shape;
        this.settings = settings;
        this.tag = tag;
    }

    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong changes = new AtomicLong();
    private final AtomicLong unavailable = new AtomicLong();
    private final AtomicLong ioErrors = new AtomicLong();
    private final AtomicLong wrong = new AtomicLong();
    private final AtomicLong conflicts = new AtomicLong();
    private final AtomicReference<String> firstProblem = new AtomicReference<>();

    /** Runs the warm-up and the measured window; blocks until every client has stopped. */
    Figures run() throws InterruptedException {
        long start = System.nanoTime();
        long measureFrom = start + settings.warmupSeconds() * 1_000_000_000L;
        long measureTo = measureFrom + settings.seconds() * 1_000_000_000L;
        Client[] clients = new Client[shape.clients()];
        Thread[] threads = new Thread[shape.clients()];
        for (int i = 0; i < clients.length; i++) {
            clients[i] = new Client(i, measureFrom, measureTo);
            threads[i] = new Thread(clients[i], "load-" + tag + "-" + i);
            threads[i].setDaemon(true);
        }
        for (Thread t : threads) {
            t.start();
        }
        long joinDeadline = measureTo + settings.requestTimeoutMs() * 1_000_000L + 5_000_000_000L;
        for (Thread t : threads) {
            long left = Math.max(1, (joinDeadline - System.nanoTime()) / 1_000_000L);
            t.join(left);
            if (t.isAlive()) {
                problem("a client did not finish its last request within the request timeout");
                t.interrupt();
            }
        }
        Latencies[] latencies = new Latencies[clients.length];
        for (int i = 0; i < clients.length; i++) {
            latencies[i] = clients[i].latencies;
        }
        long[] all = Latencies.sorted(latencies);
        double secs = settings.seconds();
        return new Figures(requests.get(), changes.get(), secs, changes.get() / secs,
                Latencies.percentileMs(all, 50), Latencies.percentileMs(all, 90), Latencies.percentileMs(all, 99),
                Latencies.maxMs(all), unavailable.get(), ioErrors.get(), wrong.get(), conflicts.get(), firstProblem.get(),
                new long[] {measureFrom, measureTo});
    }

    private void problem(String s) {
        firstProblem.compareAndSet(null, s);
    }

    private final class Client implements Runnable {
        final int index;
        final long measureFrom;
        final long measureTo;
        final String clientId;
        final RequestBodies bodies;
        final Latencies latencies = new Latencies();
        long nextSeq = 1;

        Client(int index, long measureFrom, long measureTo) {
            this.index = index;
            this.measureFrom = measureFrom;
            this.measureTo = measureTo;
            this.clientId = "bench-" + tag + "-c" + index;
            this.bodies = new RequestBodies(clientId, tag + "-c" + index + "-k", new SplittableRandom(index * 31L + tag.hashCode()),
                    shape.changes(), settings.valueBytes(), settings.keys());
        }

        @Override
        public void run() {
            try (RawHttp http = new RawHttp(host, port, settings.requestTimeoutMs())) {
                while (System.nanoTime() < measureTo && !Thread.currentThread().isInterrupted()) {
                    long first = nextSeq;
                    byte[] body = wire == Wire.PUSH ? bodies.push(first) : bodies.flumeEvents(first);
                    boolean resend = false;
                    // The same body until it is answered: a resend is always safe (PROTOCOL.md).
                    while (true) {
                        long t0 = System.nanoTime();
                        RawHttp.Response r;
                        try {
                            r = http.post(path, body);
                        } catch (IOException e) {
                            ioErrors.incrementAndGet();
                            problemIfMeasured(t0, "I/O error: " + e);
                            if (System.nanoTime() > measureTo + settings.requestTimeoutMs() * 1_000_000L) {
                                return;
                            }
                            sleep(100);
                            resend = true;
                            continue;
                        }
                        long t1 = System.nanoTime();
                        if (r.status() == 503 || r.status() == 429) {
                            unavailable.incrementAndGet();
                            if (t1 > measureTo) {
                                return; // the window is over; this client's seqs no longer matter
                            }
                            sleep(Math.max(100, Math.min(1000, r.retryAfter() * 1000L)));
                            resend = true;
                            continue;
                        }
                        AnswerCheck.Verdict v = verdict(AnswerCheck.check(r, wire, shape.changes(), first, resend));
                        if (v == AnswerCheck.Verdict.RETRY) {
                            unavailable.incrementAndGet();
                            if (t1 > measureTo) {
                                return;
                            }
                            sleep(200);
                            resend = true;
                            continue;
                        }
                        if (t1 >= measureFrom && t1 <= measureTo) {
                            requests.incrementAndGet();
                            if (v == AnswerCheck.Verdict.OK) {
                                changes.addAndGet(shape.changes());
                            }
                            latencies.record(t1 - t0);
                        }
                        break;
                    }
                    nextSeq = first + shape.changes();
                }
            }
        }

        private void problemIfMeasured(long t, String s) {
            problem(clientId + ": " + s);
        }

        /** Counts what the answer says is wrong (the first problem is kept) and its conflicts. */
        private AnswerCheck.Verdict verdict(AnswerCheck.Answer a) {
            if (a.verdict() == AnswerCheck.Verdict.WRONG) {
                wrong.incrementAndGet();
                problem(clientId + " seq " + nextSeq + ": " + a.problem());
            }
            if (a.conflicts() > 0) {
                conflicts.addAndGet(a.conflicts());
            }
            return a.verdict();
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
