package dev.idbsync.topology.it;

import static dev.idbsync.topology.it.Push.note;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile connections on raw loopback sockets against the real stack, while an honest client
 * pushes: (a) connections that announce a 4 MiB body and send nothing, (b) connections that
 * trickle a body a byte a second, (c) connections that send nothing at all. The server must
 * keep answering the honest client, keep its heap, and close every hostile connection within
 * the timeouts configured here (small ones, so the test is short).
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SlowClientsIT {
    static final int MAX_CONNECTIONS = 600;
    static final int IDLE_TIMEOUT_MS = 3000;
    static final int HEADER_TIMEOUT_MS = 2000;
    static final int BODY_TIMEOUT_MS = 3000;
    /** What a timeout may be late by on a loaded 2-core machine (the I/O thread's timers, the selector here). */
    static final long SLACK_MS = 3000;
    /** Every honest push must be answered 200 within this. */
    static final long HONEST_BOUND_MS = 2000;
    /** The test JVM's live heap (after GC) may not grow more than this over its value before the attack. */
    static final long HEAP_GROWTH_LIMIT_MB = 200;

    static final int ANNOUNCERS = 300;
    static final int TRICKLERS = 100;
    static final int IDLERS = 100;

    @TempDir
    static Path dir;
    private TestStack stack;

    @BeforeAll
    void start() throws Exception {
        stack = TestStack.start(TestStack.localConfig(dir.resolve("data"),
                        b -> b.http(b.build().http().toBuilder().maxConnections(MAX_CONNECTIONS).idleTimeoutMs(IDLE_TIMEOUT_MS)
                                .headerTimeoutMs(HEADER_TIMEOUT_MS).bodyTimeoutMs(BODY_TIMEOUT_MS).build())),
                ic -> new dev.idbsync.common.ignite.ThinClientFactory(ic));
    }

    @AfterAll
    void stop() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void honestPushesAreAnsweredWhileHostileConnectionsSitOnTheListener() throws Exception {
        // warm up: the first push pays for class loading and the first Ignite transaction
        assertEquals(200, stack.http.push(Push.to("notes-app").client("c-honest").from(1)
                .put("notes", "honest-0", note("x")).json()).status());
        long heapBefore = liveHeapMb();
        HeapWatch heap = new HeapWatch();
        heap.start();
        List<Long> latencies = new ArrayList<>();
        List<String> honestFailures = new ArrayList<>();
        // its own client, so that a push the server never answers fails in 10 s, not Http's 60
        java.net.http.HttpClient client = java.net.http.HttpClient.newBuilder()
                .connectTimeout(java.time.Duration.ofSeconds(10)).build();
        Hostiles hostiles = new Hostiles(stack.config.http().port(), true);
        try {
            hostiles.open(Kind.ANNOUNCE, ANNOUNCERS);
            hostiles.open(Kind.TRICKLE, TRICKLERS);
            hostiles.open(Kind.IDLE, IDLERS);
            hostiles.start();
            Thread.sleep(500); // every hostile connection is in place
            long end = System.nanoTime() + 20_000_000_000L;
            long seq = 2;
            while (System.nanoTime() < end && seq < 200) {
                String body = Push.to("notes-app").client("c-honest").from(seq).put("notes", "honest-" + seq, note("x")).json();
                long t0 = System.nanoTime();
                String outcome;
                try {
                    var r = client.send(java.net.http.HttpRequest.newBuilder(
                                    java.net.URI.create("http://127.0.0.1:" + stack.config.http().port() + "/v1/sync"))
                            .timeout(java.time.Duration.ofSeconds(10)).header("Content-Type", "application/json")
                            .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(),
                            java.net.http.HttpResponse.BodyHandlers.ofString());
                    outcome = r.statusCode() == 200 ? null : r.statusCode() + " " + r.body();
                } catch (IOException e) {
                    outcome = e.toString();
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                latencies.add(ms);
                if (outcome != null || ms > HONEST_BOUND_MS) {
                    honestFailures.add("push " + seq + ": " + (outcome == null ? "200" : outcome) + " in " + ms + " ms");
                }
                seq++;
                Thread.sleep(200);
            }
        } finally {
            hostiles.close();
            heap.stop();
        }
        System.out.printf("SlowClientsIT: %d honest pushes, slowest %d ms; live heap %d MB before, peak %d MB; %s%n",
                latencies.size(), latencies.stream().mapToLong(Long::longValue).max().orElse(0), heapBefore, heap.maxLiveMb(),
                hostiles.summary());
        org.junit.jupiter.api.Assertions.assertAll(
                () -> assertTrue(honestFailures.isEmpty(), "honest pushes not answered 200 within " + HONEST_BOUND_MS
                        + " ms: " + honestFailures),
                () -> assertTrue(latencies.size() >= 40, "only " + latencies.size() + " honest pushes in 20 s"),
                () -> assertTrue(heap.maxLiveMb() - heapBefore <= HEAP_GROWTH_LIMIT_MB, "live heap grew from " + heapBefore
                        + " MB to " + heap.maxLiveMb() + " MB (limit +" + HEAP_GROWTH_LIMIT_MB + " MB)"),
                // (a) announced 4 MiB, sent nothing: 408 request_timeout, closed within bodyTimeoutMs
                () -> hostiles.assertClosed(Kind.ANNOUNCE, ANNOUNCERS, BODY_TIMEOUT_MS + SLACK_MS, "HTTP/1.1 408",
                        "request_timeout"),
                // (b) a byte a second: a read timeout never fires, the body deadline does
                () -> hostiles.assertClosed(Kind.TRICKLE, TRICKLERS, BODY_TIMEOUT_MS + SLACK_MS, "HTTP/1.1 408",
                        "request_timeout"),
                // (c) nothing at all: closed without an answer within idleTimeoutMs
                () -> hostiles.assertClosed(Kind.IDLE, IDLERS, IDLE_TIMEOUT_MS + SLACK_MS, null, null));
    }

    @Test
    @Order(2)
    void pastTheConnectionCapANewClientWaitsOnlyUntilTheTimeoutsFreeASlot() throws Exception {
        int extra = 50;
        Hostiles idle = new Hostiles(stack.config.http().port(), false);
        long waited;
        try {
            idle.open(Kind.IDLE, MAX_CONNECTIONS + extra);
            idle.start();
            Thread.sleep(500);
            // A new client (a new connection) behind the cap: it waits in the accept backlog until
            // the idle timeout frees slots, and is then answered.
            Http fresh = new Http("http://127.0.0.1:" + stack.config.http().port());
            long t0 = System.nanoTime();
            Http.Answer a = fresh.push(Push.to("notes-app").client("c-behind-cap").put("notes", "behind-cap", note("x")).json());
            waited = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(200, a.status(), a.toString());
            assertTrue(waited <= IDLE_TIMEOUT_MS + SLACK_MS, "a client behind the cap waited " + waited + " ms");
            Thread.sleep(IDLE_TIMEOUT_MS + SLACK_MS + 500); // the connections accepted late time out too
        } finally {
            idle.close();
        }
        System.out.printf("SlowClientsIT: behind the cap a new client waited %d ms; %s%n", waited, idle.summary());
        // Only MAX_CONNECTIONS were accepted at first: the rest were closed one idle timeout later.
        long early = idle.closedWithin(Kind.IDLE, IDLE_TIMEOUT_MS + SLACK_MS / 2);
        assertTrue(early <= MAX_CONNECTIONS, early + " connections were held and timed out at once; the cap is "
                + MAX_CONNECTIONS);
        idle.assertClosed(Kind.IDLE, MAX_CONNECTIONS + extra, 2L * IDLE_TIMEOUT_MS + SLACK_MS, null, null);
    }

    enum Kind { ANNOUNCE, TRICKLE, IDLE }

    /**
     * Hostile connections driven by one selector thread. A connection the server closes is
     * recorded (how long it lived, what the server sent) and opened again while the test runs,
     * as an attacker would; only the first round counts toward {@link #assertClosed}'s count.
     */
    static final class Hostiles implements AutoCloseable {
        private static final String ANNOUNCE_HEAD = "POST /v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + (4 * 1024 * 1024) + "\r\n\r\n";

        private final int port;
        private final Selector selector;
        private final List<Conn> conns = new ArrayList<>();
        private final Map<Kind, List<long[]>> closedLifetimes = new EnumMap<>(Kind.class);
        private final Map<Kind, List<String>> answers = new EnumMap<>(Kind.class);
        private final Map<Kind, Integer> opened = new EnumMap<>(Kind.class);
        private volatile boolean running = true;
        private volatile boolean reopen;
        private final Thread thread = new Thread(this::loop, "slow-clients");

        /** @param reopen whether a connection the server closes is opened again, as an attacker would */
        Hostiles(int port, boolean reopen) throws IOException {
            this.port = port;
            this.reopen = reopen;
            this.selector = Selector.open();
            for (Kind k : Kind.values()) {
                closedLifetimes.put(k, new ArrayList<>());
                answers.put(k, new ArrayList<>());
                opened.put(k, 0);
            }
        }

        private static final class Conn {
            final Kind kind;
            final SocketChannel ch;
            final long openedAt = System.nanoTime();
            long lastByteAt = System.nanoTime();
            final StringBuilder got = new StringBuilder();

            Conn(Kind kind, SocketChannel ch) {
                this.kind = kind;
                this.ch = ch;
            }
        }

        void open(Kind kind, int n) throws IOException {
            for (int i = 0; i < n; i++) {
                openOne(kind);
            }
        }

        private void openOne(Kind kind) throws IOException {
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.connect(new InetSocketAddress("127.0.0.1", port));
            Conn c = new Conn(kind, ch);
            ch.register(selector, SelectionKey.OP_CONNECT, c);
            synchronized (this) {
                conns.add(c);
                opened.merge(kind, 1, Integer::sum);
            }
        }

        void start() {
            thread.setDaemon(true);
            thread.start();
        }

        private void loop() {
            ByteBuffer buf = ByteBuffer.allocate(8192);
            long endBy = System.nanoTime() + 120_000_000_000L; // a hard stop, whatever the test does
            while (running && System.nanoTime() < endBy) {
                try {
                    selector.select(100);
                    for (SelectionKey k : selector.selectedKeys()) {
                        Conn c = (Conn) k.attachment();
                        try {
                            if (k.isConnectable()) {
                                c.ch.finishConnect();
                                k.interestOps(SelectionKey.OP_READ);
                                if (c.kind != Kind.IDLE) {
                                    c.ch.write(ByteBuffer.wrap((c.kind == Kind.ANNOUNCE ? ANNOUNCE_HEAD
                                            : ANNOUNCE_HEAD.replace("Content-Length: " + (4 * 1024 * 1024), "Content-Length: 1000000"))
                                            .getBytes(StandardCharsets.US_ASCII)));
                                }
                                c.lastByteAt = System.nanoTime();
                            } else if (k.isReadable()) {
                                buf.clear();
                                int n = c.ch.read(buf);
                                if (n < 0) {
                                    closed(c, k);
                                } else {
                                    c.got.append(new String(buf.array(), 0, n, StandardCharsets.ISO_8859_1));
                                }
                            }
                        } catch (IOException e) {
                            closed(c, k); // reset by the server
                        }
                    }
                    selector.selectedKeys().clear();
                    long now = System.nanoTime();
                    for (SelectionKey k : new ArrayList<>(selector.keys())) {
                        Conn c = (Conn) k.attachment();
                        if (c.kind == Kind.TRICKLE && k.isValid() && c.ch.isConnected() && now - c.lastByteAt >= 1_000_000_000L) {
                            try {
                                c.ch.write(ByteBuffer.wrap(new byte[] {' '}));
                                c.lastByteAt = now;
                            } catch (IOException e) {
                                closed(c, k);
                            }
                        }
                    }
                } catch (IOException e) {
                    return;
                }
            }
        }

        private void closed(Conn c, SelectionKey k) {
            k.cancel();
            try {
                c.ch.close();
            } catch (IOException ignored) {
                // closing
            }
            synchronized (this) {
                conns.remove(c);
                closedLifetimes.get(c.kind).add(new long[] {(System.nanoTime() - c.openedAt) / 1_000_000});
                answers.get(c.kind).add(c.got.toString());
            }
            if (running && reopen) {
                try {
                    openOne(c.kind);
                } catch (IOException e) {
                    // the test's assertions see the missing connection
                }
            }
        }

        /** Connections of this kind the server closed within {@code ms} of their opening. */
        synchronized long closedWithin(Kind kind, long ms) {
            return closedLifetimes.get(kind).stream().filter(l -> l[0] <= ms).count();
        }

        /**
         * At least {@code first} connections of the kind were closed by the server, each within
         * {@code boundMs} of its opening, and none still open is older than that; each answer
         * (if expected) starts with the status line and names the code.
         */
        synchronized void assertClosed(Kind kind, int first, long boundMs, String statusLine, String code) {
            List<long[]> lives = closedLifetimes.get(kind);
            assertTrue(lives.size() >= first, kind + ": only " + lives.size() + " of " + first
                    + " connections were closed by the server; " + summary());
            for (long[] l : lives) {
                assertTrue(l[0] <= boundMs, kind + ": a connection lived " + l[0] + " ms (bound " + boundMs + " ms)");
            }
            for (Object[] o : stillOpen) {
                if (o[0] == kind) {
                    assertTrue((Long) o[1] <= boundMs, kind + ": a connection was still open after " + o[1] + " ms (bound "
                            + boundMs + " ms)");
                }
            }
            for (String a : answers.get(kind)) {
                if (statusLine == null) {
                    assertEquals("", a, kind + ": the server answered a connection that sent nothing");
                } else {
                    assertTrue(a.startsWith(statusLine), kind + ": the server sent " + a);
                    assertTrue(a.contains("\"" + code + "\""), kind + ": the server sent " + a);
                    assertTrue(a.toLowerCase().contains("connection: close"), kind + ": no Connection: close in " + a);
                }
            }
        }

        synchronized String summary() {
            StringBuilder s = new StringBuilder();
            for (Kind k : Kind.values()) {
                List<long[]> lives = closedLifetimes.get(k);
                s.append(k).append(": opened ").append(opened.get(k)).append(", closed by the server ").append(lives.size())
                        .append(" (longest ").append(lives.stream().mapToLong(l -> l[0]).max().orElse(0)).append(" ms); ");
            }
            return s.toString();
        }

        @Override
        public void close() throws Exception {
            reopen = false;
            running = false;
            thread.join(5000);
            synchronized (this) {
                long now = System.nanoTime();
                for (Conn c : conns) {
                    // still open at the end: counts as living until now
                    if (c.ch.isConnected()) {
                        stillOpen.add(new Object[] {c.kind, (now - c.openedAt) / 1_000_000});
                    }
                    c.ch.close();
                }
                conns.clear();
            }
            selector.close();
        }

        /** Connections still open when the test ended: kind and age in ms. */
        private final List<Object[]> stillOpen = new ArrayList<>();
    }

    static long liveHeapMb() {
        System.gc();
        long live = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                live += pool.getCollectionUsage().getUsed();
            }
        }
        return live / (1024 * 1024);
    }

    /** The live heap: what the heap pools held after their last collection, sampled every 200 ms. */
    private static final class HeapWatch {
        private final AtomicLong maxLive = new AtomicLong();
        private volatile boolean running = true;
        private final Thread thread = new Thread(this::loop, "slow-clients-heap-watch");

        void start() {
            thread.setDaemon(true);
            thread.start();
        }

        void stop() throws InterruptedException {
            running = false;
            thread.join(5000);
        }

        long maxLiveMb() {
            return maxLive.get() / (1024 * 1024);
        }

        private void loop() {
            while (running) {
                long live = 0;
                for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                    if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                        live += pool.getCollectionUsage().getUsed();
                    }
                }
                maxLive.accumulateAndGet(live, Math::max);
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
    }
}
