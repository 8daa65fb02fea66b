package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.config.HttpConfig;
import dev.idbsync.config.TopologyConfig;
import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Pushes over reused keep-alive connections: every one is answered, and the answers to pushes whose
 * body was read go out on the connection's I/O thread ({@link Responses#onIoThread} says why: an
 * answer ended from another thread could leave the connection's next request unread until
 * http.idleTimeoutMs closed the connection, the flake of HostileInputIT).
 */
class SyncHttpServerKeepAliveTest {
    private static final String PUSH = "{\"db\":\"notes-app\",\"clientId\":\"c1\",\"sentAt\":1,\"changes\":[{\"seq\":1,"
            + "\"store\":\"notes\",\"key\":\"k\",\"op\":\"put\",\"value\":{\"title\":\"t\"},\"baseVersion\":0,\"ts\":1}]}";

    private final ExecutorService parsers = Executors.newFixedThreadPool(2);
    private SyncHttpServer server;

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
        parsers.shutdownNow();
    }

    private void start(UnaryOperator<HttpConfig.Builder> tweak, Executor parseExecutor) {
        server = new SyncHttpServer(tweak.apply(HttpConfig.builder().port(0)).build(), new FixedHandoff(), parseExecutor,
                System::currentTimeMillis);
        server.start(0, TopologyConfig.DEFAULT_SPOUT_IO_THREADS, TopologyConfig.DEFAULT_SPOUT_WORKER_THREADS);
    }

    /**
     * The parse executor is handed each read push on the connection's I/O thread, and here it keeps
     * that thread until the push was parsed and answered as far as the parse thread goes, and a
     * second longer: an answer written by the parse thread (or the handoff's) would reach the client
     * meanwhile; one written by the I/O thread only once it is let go. Deterministic: without the
     * hop to the I/O thread every one of these answers arrives early.
     */
    @Test
    void answersToReadPushesAreWrittenByTheIoThreadNotTheParseThread() throws Exception {
        AtomicReference<CountDownLatch> received = new AtomicReference<>();
        // per push: whether its answer reached the client while the I/O thread was held
        AtomicReference<CompletableFuture<Boolean>> answeredEarly = new AtomicReference<>();
        start(b -> b.maxBodyBytes(1024).idleTimeoutMs(30_000), task -> {
            try {
                parsers.submit(task).get(5, TimeUnit.SECONDS);
                answeredEarly.get().complete(received.get().await(1, TimeUnit.SECONDS));
            } catch (Exception e) {
                answeredEarly.get().completeExceptionally(e);
            }
        });
        List<String> early = new ArrayList<>();
        try (Socket s = open()) {
            InputStream in = new BufferedInputStream(s.getInputStream());
            // refused by the parser (400), taken by the handoff (200, Responses.replyTo), read and too large (413)
            for (String body : List.of("{\"db\":", PUSH, "x".repeat(2000))) {
                received.set(new CountDownLatch(1));
                answeredEarly.set(new CompletableFuture<>());
                CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
                    try {
                        send(s, body.getBytes(StandardCharsets.UTF_8), 0);
                        String a = readAnswer(in);
                        received.get().countDown();
                        return a;
                    } catch (IOException e) {
                        throw new IllegalStateException(e);
                    }
                });
                String a = answer.get(10, TimeUnit.SECONDS);
                if (answeredEarly.get().get(10, TimeUnit.SECONDS)) {
                    early.add(a.substring(0, a.indexOf('\r')));
                }
                assertTrue(a.startsWith("HTTP/1.1 " + (body.equals(PUSH) ? 200 : body.startsWith("x") ? 413 : 400)), a);
            }
        }
        assertEquals(List.of(), early, "answers written while the I/O thread was held, so not by it");
    }

    /**
     * The flake of HostileInputIT at the listener alone: mutated pushes over keep-alive connections
     * from several threads, each request's headers and body in separate writes (so Undertow reads the
     * body with its receiver's read listener, the path with the race), and every request answered
     * within 2 s. Without the fix about one request in tens of thousands went unanswered here, so
     * this catches a regression only in some runs; the test above catches it in every run.
     */
    @Test
    void everyMutatedPushOnAReusedConnectionIsAnswered() throws Exception {
        start(b -> b.idleTimeoutMs(30_000), parsers);
        int threads = 8;
        int perThread = 1500;
        ExecutorService clients = Executors.newFixedThreadPool(threads);
        List<String> failures = new ArrayList<>();
        try {
            List<Future<String>> out = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                out.add(clients.submit(() -> {
                    Random rnd = new Random(thread);
                    try (Socket s = open()) {
                        InputStream in = new BufferedInputStream(s.getInputStream());
                        for (int i = 0; i < perThread; i++) {
                            byte[] body = mutate(rnd, thread * perThread + i);
                            send(s, body, 50_000);
                            try {
                                String a = readAnswer(in);
                                if (!a.startsWith("HTTP/1.1 200") && !a.startsWith("HTTP/1.1 400")) {
                                    return "request " + i + " of connection " + thread + ": " + a;
                                }
                            } catch (SocketTimeoutException e) {
                                return "request " + i + " of connection " + thread + " (after " + i + " answered on it)"
                                        + " got no answer within 2 s; body: " + new String(body, StandardCharsets.UTF_8);
                            }
                        }
                    }
                    return null;
                }));
            }
            for (Future<String> f : out) {
                String p = f.get();
                if (p != null) {
                    failures.add(p);
                }
            }
        } finally {
            clients.shutdownNow();
        }
        assertEquals(List.of(), failures);
    }

    // ------------------------------------------------------------------ helpers

    private Socket open() throws IOException {
        Socket s = new Socket("127.0.0.1", server.port());
        s.setTcpNoDelay(true); // the headers and the body go out as two segments when sent apart
        s.setSoTimeout(2_000);
        return s;
    }

    /** A push's headers, then after {@code pauseNanos} (0: none) its body. */
    private static void send(Socket s, byte[] body, long pauseNanos) throws IOException {
        OutputStream os = s.getOutputStream();
        os.write(("POST /v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        os.flush();
        if (pauseNanos > 0) {
            LockSupport.parkNanos(pauseNanos);
        }
        os.write(body);
        os.flush();
    }

    /** One answer: status line, headers and its Content-Length of body. */
    static String readAnswer(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int c = in.read();
            if (c < 0) {
                throw new EOFException("the connection was closed after: " + head);
            }
            head.append((char) c);
        }
        Matcher m = Pattern.compile("(?i)content-length: (\\d+)").matcher(head);
        int length = m.find() ? Integer.parseInt(m.group(1)) : 0;
        return head + new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }

    /** Like HostileInputIT's generator: honest pushes, truncated ones, a flipped byte, a hostile number. */
    private static byte[] mutate(Random rnd, int i) {
        String push = "{\"db\":\"notes-app\",\"clientId\":\"hz-" + i + "\",\"sentAt\":1763740800123,\"changes\":[{\"seq\":1,"
                + "\"store\":\"notes\",\"key\":\"fz-" + rnd.nextInt(50) + "\",\"op\":\"put\",\"value\":{\"title\":\"t\"},"
                + "\"baseVersion\":0,\"ts\":1763740790000}]}";
        byte[] b = push.getBytes(StandardCharsets.UTF_8);
        switch (rnd.nextInt(4)) {
            case 0 -> {
                return b;
            }
            case 1 -> {
                return Arrays.copyOf(b, 1 + rnd.nextInt(b.length - 1));
            }
            case 2 -> {
                b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
                return b;
            }
            default -> {
                return push.replace("\"t\"", "1e999999999").getBytes(StandardCharsets.UTF_8);
            }
        }
    }
}
