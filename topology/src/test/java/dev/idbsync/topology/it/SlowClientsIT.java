package dev.idbsync.topology.it;

import static dev.idbsync.topology.it.Push.note;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.ignite.ThinClientFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile connections on the real listener (LocalCluster, Ignite, Flume and the file sink via
 * {@link TestStack}): 300 that announce a 4 MiB body and send nothing, 100 that trickle a body a
 * byte a second, 100 that never send a request. Each is reopened as soon as the server closes it,
 * for as long as an honest client pushes every ~200 ms for 20 s. Every honest push must be
 * answered 200 within 2 s, and the server must close every hostile connection within its timeout:
 * the bodies with 408 {@code request_timeout}.
 */
@Tag("integration")
class SlowClientsIT {
    private static final int SILENT_BODIES = 300;
    private static final int TRICKLES = 100;
    private static final int IDLERS = 100;
    private static final int BODY_TIMEOUT_MS = 5_000;
    private static final int IDLE_TIMEOUT_MS = 5_000;
    private static final long HONEST_MS = 20_000;
    private static final long HONEST_BOUND_MS = 2_000;
    /** Time over a timeout in which the server's close must arrive (timer granularity, a busy machine). */
    private static final long SLACK_MS = 3_000;

    @TempDir
    Path dir;

    @Test
    void honestPushesAreAnsweredWhileHostileConnectionsAreTimedOutAndClosed() throws Exception {
        try (TestStack stack = TestStack.start(TestStack.localConfig(dir.resolve("data"), b -> b.http(b.build().http()
                        .toBuilder().bodyTimeoutMs(BODY_TIMEOUT_MS).idleTimeoutMs(IDLE_TIMEOUT_MS).headerTimeoutMs(2_000)
                        .maxConnections(SILENT_BODIES + TRICKLES + IDLERS + 100).build())), ThinClientFactory::new);
             Hostiles hostiles = new Hostiles(stack.config.http().port())) {
            // one push first, so that the topology is warm before the clock starts
            assertEquals(200, stack.http.push(Push.to("notes-app").client("honest").put("notes", "warm", note("w")).json())
                    .status());
            hostiles.openAll();
            Thread hostileThread = new Thread(() -> hostiles.run(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HONEST_MS)),
                    "slow-clients");
            hostileThread.setDaemon(true);
            hostileThread.start();

            List<String> late = new ArrayList<>();
            long slowest = 0;
            int pushes = 0;
            long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(HONEST_MS);
            for (long seq = 2; System.nanoTime() < end && pushes < 200; seq++) {
                long t0 = System.nanoTime();
                Http.Answer a = stack.http.push(Push.to("notes-app").client("honest").from(seq)
                        .put("notes", "n-" + seq, note("push " + seq)).json());
                long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
                pushes++;
                slowest = Math.max(slowest, ms);
                if (a.status() != 200 || ms > HONEST_BOUND_MS || !a.results().get(0).get("status").asText().equals("applied")) {
                    late.add("seq " + seq + ": " + a.status() + " after " + ms + " ms: " + a.body());
                }
                long sleep = 200 - ms;
                if (sleep > 0) {
                    Thread.sleep(sleep);
                }
            }
            hostileThread.join(HONEST_MS + BODY_TIMEOUT_MS + IDLE_TIMEOUT_MS + 2 * SLACK_MS);
            assertTrue(!hostileThread.isAlive(), "the hostile connections' thread ended: " + hostiles.summary());

            assertTrue(pushes >= 40, "the honest client pushed through the whole window: " + pushes);
            assertTrue(late.isEmpty(), late.size() + " of " + pushes + " honest pushes were not answered 200 within "
                    + HONEST_BOUND_MS + " ms (slowest " + slowest + " ms): " + late.subList(0, Math.min(5, late.size())));

            System.out.println("SlowClientsIT: " + pushes + " honest pushes, slowest " + slowest + " ms; " + hostiles.summary());
            // Every hostile connection, those of the window and the last ones, was closed by the server in time.
            String s = hostiles.summary();
            assertEquals(0, hostiles.stillOpen(), "every hostile connection was closed by the server: " + s);
            assertEquals(0, hostiles.tooLate, "no hostile connection outlived its timeout by more than " + SLACK_MS + " ms: " + s);
            assertTrue(hostiles.closedBodies >= SILENT_BODIES + TRICKLES, s);
            assertEquals(hostiles.closedBodies, hostiles.answered408, "every unfinished body was answered 408 request_timeout"
                    + " before its connection closed: " + s);
            assertTrue(hostiles.closedIdle >= IDLERS, s);
        }
    }

    /** All hostile connections on one selector thread; each is reopened when the server closes it, until the end. */
    private static final class Hostiles implements AutoCloseable {
        private static final String HEADERS = "POST /v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: %d\r\n\r\n";
        private final InetSocketAddress server;
        private final Selector selector;
        private final List<Conn> conns = new ArrayList<>();
        int closedBodies;
        int closedIdle;
        int answered408;
        int tooLate;
        int reopened;
        long longestBodyMs;
        long longestIdleMs;

        Hostiles(int port) throws IOException {
            server = new InetSocketAddress("127.0.0.1", port);
            selector = Selector.open();
        }

        enum Kind { SILENT, TRICKLE, IDLE }

        final class Conn {
            final Kind kind;
            SocketChannel ch;
            long openedAt;
            final StringBuilder got = new StringBuilder();

            Conn(Kind kind) {
                this.kind = kind;
            }

            void open() throws IOException {
                ch = SocketChannel.open(server);
                ch.configureBlocking(false);
                openedAt = System.nanoTime();
                got.setLength(0);
                if (kind != Kind.IDLE) {
                    write(String.format(HEADERS, kind == Kind.SILENT ? 4 * 1024 * 1024 : 100_000));
                }
                ch.register(selector, SelectionKey.OP_READ, this);
            }

            void write(String s) throws IOException {
                ByteBuffer b = ByteBuffer.wrap(s.getBytes(StandardCharsets.US_ASCII));
                for (int i = 0; i < 100 && b.hasRemaining(); i++) {
                    ch.write(b);
                }
            }

            long timeoutMs() {
                return kind == Kind.IDLE ? IDLE_TIMEOUT_MS : BODY_TIMEOUT_MS;
            }
        }

        void openAll() throws IOException {
            for (int i = 0; i < SILENT_BODIES; i++) {
                conns.add(new Conn(Kind.SILENT));
            }
            for (int i = 0; i < TRICKLES; i++) {
                conns.add(new Conn(Kind.TRICKLE));
            }
            for (int i = 0; i < IDLERS; i++) {
                conns.add(new Conn(Kind.IDLE));
            }
            for (Conn c : conns) {
                c.open();
            }
        }

        /** Until {@code reopenUntil}: reopens what the server closes; then waits (bounded) for the rest to be closed. */
        void run(long reopenUntil) {
            long waitUntil = reopenUntil + TimeUnit.MILLISECONDS.toNanos(Math.max(BODY_TIMEOUT_MS, IDLE_TIMEOUT_MS) + SLACK_MS);
            long nextTrickle = System.nanoTime();
            ByteBuffer buf = ByteBuffer.allocate(4096);
            try {
                while (System.nanoTime() < waitUntil && stillOpen() > 0) {
                    if (System.nanoTime() - nextTrickle >= 0) {
                        nextTrickle += TimeUnit.SECONDS.toNanos(1);
                        for (Conn c : conns) {
                            if (c.kind == Kind.TRICKLE && c.ch.isOpen()) {
                                try {
                                    c.write("{"); // one byte a second: each read succeeds, the body never ends
                                } catch (IOException e) {
                                    // closed by the server; the selector sees it
                                }
                            }
                        }
                    }
                    selector.select(100);
                    for (SelectionKey k : selector.selectedKeys()) {
                        Conn c = (Conn) k.attachment();
                        int n;
                        try {
                            buf.clear();
                            n = c.ch.read(buf);
                        } catch (IOException e) {
                            n = -1; // reset by the server
                        }
                        if (n > 0) {
                            c.got.append(new String(buf.array(), 0, n, StandardCharsets.US_ASCII));
                            continue;
                        }
                        if (n == 0) {
                            continue;
                        }
                        closed(c);
                        if (System.nanoTime() < reopenUntil) {
                            c.open();
                            reopened++;
                        }
                    }
                    selector.selectedKeys().clear();
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        private void closed(Conn c) throws IOException {
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - c.openedAt);
            c.ch.close();
            if (ms > c.timeoutMs() + SLACK_MS) {
                tooLate++;
            }
            if (c.kind == Kind.IDLE) {
                closedIdle++;
                longestIdleMs = Math.max(longestIdleMs, ms);
            } else {
                closedBodies++;
                longestBodyMs = Math.max(longestBodyMs, ms);
                String r = c.got.toString();
                if (r.startsWith("HTTP/1.1 408") && r.contains("\"request_timeout\"")) {
                    answered408++;
                }
            }
        }

        int stillOpen() {
            int n = 0;
            for (Conn c : conns) {
                if (c.ch != null && c.ch.isOpen()) {
                    n++;
                }
            }
            return n;
        }

        String summary() {
            return "closed bodies " + closedBodies + " (408: " + answered408 + ", longest " + longestBodyMs + " ms), closed idle "
                    + closedIdle + " (longest " + longestIdleMs + " ms), too late " + tooLate + ", reopened " + reopened
                    + ", still open " + stillOpen();
        }

        @Override
        public void close() throws IOException {
            for (Conn c : conns) {
                if (c.ch != null) {
                    c.ch.close();
                }
            }
            selector.close();
        }
    }
}
