package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.config.HttpConfig;
import dev.idbsync.config.TopologyConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The listener's bounds on a real Undertow on loopback, with a handoff that answers every push 200 at once. */
class SyncHttpServerBoundsTest {
    private static final String PUSH = "{\"db\":\"notes-app\",\"clientId\":\"c1\",\"sentAt\":1,\"changes\":[{\"seq\":1,"
            + "\"store\":\"notes\",\"key\":\"k\",\"op\":\"put\",\"value\":{\"title\":\"t\"},\"baseVersion\":0,\"ts\":1}]}";

    private final ExecutorService parsers = Executors.newFixedThreadPool(2);
    private final List<Socket> sockets = new ArrayList<>();
    private SyncHttpServer server;

    @AfterEach
    void stop() throws IOException {
        for (Socket s : sockets) {
            s.close();
        }
        if (server != null) {
            server.stop();
        }
        parsers.shutdownNow();
    }

    private SyncHttpServer start(UnaryOperator<HttpConfig.Builder> tweak, java.util.concurrent.Executor executor) {
        HttpConfig config = tweak.apply(HttpConfig.builder().port(0)).build();
        server = new SyncHttpServer(config, new FixedHandoff(), executor, System::currentTimeMillis);
        server.start(0, TopologyConfig.DEFAULT_SPOUT_IO_THREADS, TopologyConfig.DEFAULT_SPOUT_WORKER_THREADS);
        return server;
    }

    @Test
    void aBodyThatDoesNotArriveInTimeIs408AndTheConnectionIsClosed() throws Exception {
        start(b -> b.bodyTimeoutMs(500), parsers);
        Socket s = open();
        long t0 = System.nanoTime();
        send(s, headers(1000) + "{\"db\":");
        String answer = readToEnd(s, 5_000);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);

        assertTrue(answer.startsWith("HTTP/1.1 408"), answer);
        assertTrue(answer.contains("\"code\":\"request_timeout\""), answer);
        assertTrue(answer.contains("http.bodyTimeoutMs"), answer);
        assertTrue(answer.toLowerCase().contains("connection: close"), answer);
        assertTrue(ms >= 450 && ms < 3_000, "answered at the deadline, not before, not much after: " + ms + " ms");
        awaitBuffered(0);
    }

    @Test
    void pastTheBodyBudgetAPushGets503WithRetryAfterAndOthersStillFit() throws Exception {
        start(b -> b.maxBodyBytes(64 * 1024).maxBufferedBodyBytes(128 * 1024).bodyTimeoutMs(30_000), parsers);
        Socket a = open();
        Socket b = open();
        send(a, headers(60_000) + "x".repeat(55_000));
        send(b, headers(60_000) + "x".repeat(55_000));
        awaitBuffered(110_000);

        Socket c = open();
        send(c, headers(60_000) + "x".repeat(30_000));
        String refused = readToEnd(c, 5_000);
        assertTrue(refused.startsWith("HTTP/1.1 503"), refused);
        assertTrue(refused.toLowerCase().contains("retry-after: 1"), refused);
        assertTrue(refused.contains("\"code\":\"unavailable\"") && refused.contains("http.maxBufferedBodyBytes"), refused);

        Socket d = open();
        send(d, headers(PUSH.length()) + PUSH);
        String ok = readAnswer(d, 5_000);
        assertTrue(ok.startsWith("HTTP/1.1 200"), "a small push still fits: " + ok);

        // The clients go away mid-body: their bytes are given back.
        a.close();
        b.close();
        awaitBuffered(0);
    }

    @Test
    void aFullParseQueueIs503WithRetryAfterAndGivesTheBytesBack() throws Exception {
        start(b -> b, task -> {
            throw new RejectedExecutionException("full");
        });
        Socket s = open();
        send(s, headers(PUSH.length()) + PUSH);
        String answer = readAnswer(s, 5_000);
        assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
        assertTrue(answer.toLowerCase().contains("retry-after: 1"), answer);
        assertTrue(answer.contains("parse queue"), answer);
        awaitBuffered(0);
    }

    @Test
    void pastMaxConnectionsANewConnectionWaitsUntilAnotherCloses() throws Exception {
        start(b -> b.maxConnections(10).idleTimeoutMs(60_000), parsers);
        List<Socket> held = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Socket s = open();
            send(s, "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"); // answered: each is accepted and kept alive
            assertTrue(readAnswer(s, 5_000).startsWith("HTTP/1.1 404"));
            held.add(s);
        }
        Socket late = open(); // the kernel completes the handshake; the server does not accept it yet
        send(late, headers(PUSH.length()) + PUSH);
        assertThrows(SocketTimeoutException.class, () -> readAnswer(late, 1_000), "the 11th connection waits");

        held.get(0).close();
        String answer = readAnswer(late, 5_000);
        assertTrue(answer.startsWith("HTTP/1.1 200"), "answered once a connection closed: " + answer);
    }

    @Test
    void aConnectionThatNeverSendsARequestIsClosed() throws Exception {
        start(b -> b.idleTimeoutMs(500), parsers);
        Socket s = open();
        long t0 = System.nanoTime();
        assertEquals("", readToEnd(s, 5_000));
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        assertTrue(ms < 3_000, "closed after http.idleTimeoutMs: " + ms + " ms");
    }

    // ------------------------------------------------------------------ helpers

    @Test
    void headersPast64KiBAre400AndTheConnectionIsClosed() throws Exception {
        start(b -> b, parsers);
        Socket s = open();
        // Undertow's own limit is 1 MiB, held per connection while headers arrive: times
        // maxConnections, most of a heap.
        send(s, "GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Pad: " + "x".repeat(100 * 1024) + "\r\n\r\n");
        String answer = readToEnd(s, 5_000);
        assertTrue(answer.startsWith("HTTP/1.1 400"), answer.substring(0, Math.min(200, answer.length())));
    }

    @Test
    void atTheConnectionCapEveryAnswerClosesItsConnectionSoThatWaitingOnesGetIn() throws Exception {
        start(b -> b.maxConnections(2).idleTimeoutMs(60_000), parsers);
        Socket a = open();
        send(a, "GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        String below = readAnswer(a, 5_000);
        assertTrue(below.startsWith("HTTP/1.1 404"), below);
        assertTrue(!below.toLowerCase().contains("connection: close"), "below the cap, keep-alive: " + below);

        Socket b = open(); // the second of 2: the listener is full
        send(b, "GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        String atCap = readAnswer(b, 5_000);
        assertTrue(atCap.toLowerCase().contains("connection: close"), "at the cap the answer closes: " + atCap);
        // a keep-alive client cannot hold its slot: its next answer closes too
        send(a, "GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        assertTrue(readAnswer(a, 5_000).toLowerCase().contains("connection: close"));
    }

    private Socket open() throws IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        sockets.add(s);
        return s;
    }

    private static String headers(int contentLength) {
        return "POST /v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + contentLength + "\r\n\r\n";
    }

    private static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }

    /** Everything until the server closes the connection; fails if it does not within {@code ms}. */
    private static String readToEnd(Socket s, int ms) throws IOException {
        s.setSoTimeout(ms);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        try {
            for (int n; (n = in.read(buf)) != -1; ) {
                out.write(buf, 0, n);
                if (System.nanoTime() > end) {
                    throw new AssertionError("the server did not close the connection in " + ms + " ms: " + out);
                }
            }
        } catch (java.net.SocketException e) {
            // reset after the answer: closed as well
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** One answer with a Content-Length body (the connection may stay open). */
    private static String readAnswer(Socket s, int ms) throws IOException {
        s.setSoTimeout(ms);
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int c = in.read();
            if (c == -1) {
                return head.toString();
            }
            head.append((char) c);
        }
        int length = 0;
        for (String line : head.toString().split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body = in.readNBytes(length);
        return head + new String(body, StandardCharsets.UTF_8);
    }

    private void awaitBuffered(long bytes) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (server.bufferedBodyBytes() != bytes && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertEquals(bytes, server.bufferedBodyBytes(), "body bytes buffered");
    }
}
