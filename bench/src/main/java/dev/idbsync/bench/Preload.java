package dev.idbsync.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code --preload N}: fills a target that speaks PROTOCOL.md with N records from N / 10 clients
 * before it is measured again (issue 13's scale target). Each client sends one push of ten puts
 * to ten keys of its own, seqs 1 to 10, through the same HTTP API as the load; a 503 or 429 is
 * sent again after its Retry-After (always safe). Every change must come back {@code applied}.
 */
final class Preload {
    /** Changes per push: so the clients are a tenth of the records. */
    static final int CHANGES = 10;
    private static final int CONNECTIONS = 32;

    /** What the preload did: records and clients acknowledged, seconds, and the first problem if any. */
    record Result(long records, int clients, double seconds, String problem) {
        boolean ok() {
            return problem == null;
        }
    }

    private Preload() {
    }

    static Result run(String host, int port, String path, int records, int valueBytes, int requestTimeoutMs, String tag,
                      PrintStream out) throws InterruptedException {
        int clients = Math.max(1, (records + CHANGES - 1) / CHANGES);
        AtomicInteger next = new AtomicInteger();
        AtomicLong done = new AtomicLong();
        AtomicReference<String> problem = new AtomicReference<>();
        long t0 = System.nanoTime();
        Thread[] threads = new Thread[CONNECTIONS];
        for (int t = 0; t < threads.length; t++) {
            threads[t] = new Thread(() -> {
                try (RawHttp http = new RawHttp(host, port, requestTimeoutMs)) {
                    int c;
                    while (problem.get() == null && (c = next.getAndIncrement()) < clients) {
                        int n = Math.min(CHANGES, records - c * CHANGES);
                        byte[] body = new RequestBodies("pre-" + tag + "-" + c, "pre-" + tag + "-" + c + "-k",
                                new SplittableRandom(c), n, valueBytes, n).pushDistinctKeys();
                        for (int attempt = 0; ; attempt++) {
                            RawHttp.Response r;
                            try {
                                r = http.post(path, body);
                            } catch (IOException e) {
                                if (attempt >= 20) {
                                    problem.compareAndSet(null, "client " + c + ": " + e);
                                    return;
                                }
                                Thread.sleep(200);
                                continue;
                            }
                            if ((r.status() == 503 || r.status() == 429) && attempt < 100) {
                                Thread.sleep(Math.max(100, Math.min(1000, r.retryAfter() * 1000L)));
                                continue;
                            }
                            String answer = new String(r.body(), StandardCharsets.UTF_8);
                            int applied = answer.split("\"status\":\"applied\"", -1).length - 1;
                            if (r.status() != 200 || applied != n) {
                                problem.compareAndSet(null, "client " + c + ": HTTP " + r.status() + ", " + applied + " of " + n
                                        + " applied: " + answer.substring(0, Math.min(300, answer.length())));
                                return;
                            }
                            done.addAndGet(n);
                            break;
                        }
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "preload-" + t);
            threads[t].start();
        }
        long lastLine = System.nanoTime();
        for (Thread th : threads) {
            while (th.isAlive()) {
                th.join(1000);
                if (System.nanoTime() - lastLine > 10_000_000_000L) {
                    lastLine = System.nanoTime();
                    double s = (lastLine - t0) / 1e9;
                    out.printf(Locale.ROOT, "   preloading: %,d of %,d records after %.0f s (%,.0f/s)%n", done.get(), records, s,
                            done.get() / s);
                }
            }
        }
        return new Result(done.get(), clients, (System.nanoTime() - t0) / 1e9, problem.get());
    }
}
