package dev.idbsync.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
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

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String POOL;

    static {
        SplittableRandom r = new SplittableRandom(7);
        StringBuilder b = new StringBuilder(1 << 16);
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";
        for (int i = 0; i < (1 << 16); i++) {
            b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        POOL = b.toString();
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
        int total = 0;
        for (Client c : clients) {
            total += c.latencyCount;
        }
        long[] all = new long[total];
        int at = 0;
        for (Client c : clients) {
            System.arraycopy(c.latencies, 0, all, at, c.latencyCount);
            at += c.latencyCount;
        }
        Arrays.sort(all);
        double secs = settings.seconds();
        return new Figures(requests.get(), changes.get(), secs, changes.get() / secs,
                pct(all, 50), pct(all, 90), pct(all, 99), all.length == 0 ? Double.NaN : all[all.length - 1] / 1e6,
                unavailable.get(), ioErrors.get(), wrong.get(), conflicts.get(), firstProblem.get(),
                new long[] {measureFrom, measureTo});
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    private void problem(String s) {
        firstProblem.compareAndSet(null, s);
    }

    private final class Client implements Runnable {
        final int index;
        final long measureFrom;
        final long measureTo;
        final String clientId;
        final String keyPrefix;
        final SplittableRandom random;
        long nextSeq = 1;
        long[] latencies = new long[4096];
        int latencyCount;

        Client(int index, long measureFrom, long measureTo) {
            this.index = index;
            this.measureFrom = measureFrom;
            this.measureTo = measureTo;
            this.clientId = "bench-" + tag + "-c" + index;
            this.keyPrefix = tag + "-c" + index + "-k";
            this.random = new SplittableRandom(index * 31L + tag.hashCode());
        }

        @Override
        public void run() {
            try (RawHttp http = new RawHttp(host, port, settings.requestTimeoutMs())) {
                while (System.nanoTime() < measureTo && !Thread.currentThread().isInterrupted()) {
                    long first = nextSeq;
                    byte[] body = wire == Wire.PUSH ? push(first) : flumeEvents(first);
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
                        Verdict v = check(r, first, resend);
                        if (v == Verdict.RETRY) {
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
                            if (v == Verdict.OK) {
                                changes.addAndGet(shape.changes());
                            }
                            record(t1 - t0);
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

        private void record(long nanos) {
            if (latencyCount == latencies.length) {
                latencies = Arrays.copyOf(latencies, latencies.length * 2);
            }
            latencies[latencyCount++] = nanos;
        }

        enum Verdict { OK, WRONG, RETRY }

        private Verdict check(RawHttp.Response r, long first, boolean resend) {
            if (r.status() != 200) {
                return wrong("HTTP " + r.status() + " " + abbreviate(r.text()));
            }
            if (wire == Wire.FLUME_JSON) {
                return Verdict.OK;
            }
            JsonNode root;
            try {
                root = JSON.readTree(r.body());
            } catch (IOException e) {
                return wrong("the answer is not JSON: " + abbreviate(r.text()));
            }
            JsonNode results = root == null ? null : root.get("results");
            if (results == null || !results.isArray() || results.size() != shape.changes()) {
                return wrong("expected " + shape.changes() + " results, got " + abbreviate(r.text()));
            }
            int conflictCount = 0;
            for (int i = 0; i < results.size(); i++) {
                JsonNode res = results.get(i);
                long seq = res.path("seq").asLong(-1);
                String status = res.path("status").asText("");
                if (seq != first + i) {
                    return wrong("result " + i + " has seq " + seq + ", expected " + (first + i));
                }
                switch (status) {
                    case "applied" -> {
                    }
                    case "conflict" -> conflictCount++;
                    // a resend after a 503 or a lost answer: what the first attempt decided comes back
                    case "duplicate" -> {
                        if (!resend) {
                            return wrong("seq " + seq + " is duplicate on its first send: " + abbreviate(res.toString()));
                        }
                    }
                    case "pending" -> {
                        if (resend) {
                            return Verdict.RETRY; // the first attempt is still being processed
                        }
                        return wrong("seq " + seq + " is pending on its first send: " + abbreviate(res.toString()));
                    }
                    default -> {
                        return wrong("seq " + seq + " is " + abbreviate(res.toString()));
                    }
                }
            }
            if (conflictCount > 0) {
                conflicts.addAndGet(conflictCount);
            }
            return Verdict.OK;
        }

        private Verdict wrong(String why) {
            wrong.incrementAndGet();
            problem(clientId + " seq " + nextSeq + ": " + why);
            return Verdict.WRONG;
        }

        /** PROTOCOL.md's push: puts of values of valueBytes bytes over this client's keys. */
        private byte[] push(long first) {
            long now = System.currentTimeMillis();
            StringBuilder b = new StringBuilder(shape.changes() * (settings.valueBytes() + 120) + 100);
            b.append("{\"db\":\"notes-app\",\"clientId\":\"").append(clientId).append("\",\"sentAt\":").append(now)
                    .append(",\"changes\":[");
            for (int i = 0; i < shape.changes(); i++) {
                if (i > 0) {
                    b.append(',');
                }
                b.append("{\"seq\":").append(first + i).append(",\"store\":\"notes\",\"key\":\"").append(keyPrefix)
                        .append(random.nextInt(settings.keys())).append("\",\"op\":\"put\",\"value\":");
                value(b);
                b.append(",\"baseVersion\":0,\"ts\":").append(now).append('}');
            }
            b.append("]}");
            return b.toString().getBytes(StandardCharsets.UTF_8);
        }

        /** The same changes as Flume JSONHandler events: identity as headers, the value as body. */
        private byte[] flumeEvents(long first) {
            long now = System.currentTimeMillis();
            StringBuilder b = new StringBuilder(shape.changes() * (settings.valueBytes() + 260) + 10);
            StringBuilder v = new StringBuilder(settings.valueBytes() + 8);
            b.append('[');
            for (int i = 0; i < shape.changes(); i++) {
                if (i > 0) {
                    b.append(',');
                }
                long seq = first + i;
                b.append("{\"headers\":{\"db\":\"notes-app\",\"store\":\"notes\",\"key\":\"").append(keyPrefix)
                        .append(random.nextInt(settings.keys())).append("\",\"op\":\"put\",\"clientId\":\"")
                        .append(clientId).append("\",\"seq\":\"").append(seq).append("\",\"eventId\":\"notes-app/")
                        .append(clientId).append('/').append(seq).append("\",\"ts\":\"").append(now)
                        .append("\"},\"body\":\"");
                v.setLength(0);
                value(v);
                for (int j = 0; j < v.length(); j++) {
                    char c = v.charAt(j);
                    if (c == '"' || c == '\\') {
                        b.append('\\');
                    }
                    b.append(c);
                }
                b.append("\"}");
            }
            b.append(']');
            return b.toString().getBytes(StandardCharsets.UTF_8);
        }

        /** A note of exactly valueBytes bytes of JSON: a title (at most 500 characters) and padding. */
        private void value(StringBuilder b) {
            int v = Math.max(26, settings.valueBytes());
            int text = v - 25; // {"title":"","done":false}
            int title = Math.min(text, 500);
            int rest = text - title;
            b.append("{\"title\":\"");
            int from = random.nextInt(POOL.length() - 1024);
            // the pool holds no quotes or backslashes, so the text needs no escaping
            b.append(POOL, from, from + title);
            if (rest > 0) {
                int pad = Math.max(0, rest - 10); // ,"text":""
                b.append("\",\"text\":\"");
                for (int written = 0; written < pad; ) {
                    int n = Math.min(1024, pad - written);
                    int f = random.nextInt(POOL.length() - 1024);
                    b.append(POOL, f, f + n);
                    written += n;
                }
            }
            b.append("\",\"done\":false}");
        }
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "..." : s;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
