package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.config.HttpConfig;
import dev.idbsync.config.TopologyConfig;
import dev.idbsync.protocol.PushRequest;
import io.undertow.server.HttpServerExchange;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Stopping the listener with pushes open, as the spout's close() does: the open pushes are
 * answered (503, retry) and their answers reach the clients before Undertow stops.
 */
class SyncHttpServerShutdownTest {
    private static final String PUSH = "{\"db\":\"notes-app\",\"clientId\":\"c1\",\"sentAt\":1,\"changes\":[{\"seq\":1,"
            + "\"store\":\"notes\",\"key\":\"k\",\"op\":\"put\",\"value\":{\"title\":\"t\"},\"baseVersion\":0,\"ts\":1}]}";

    private final ExecutorService parsers = Executors.newFixedThreadPool(2);
    private final HttpConfig config = HttpConfig.builder().port(0).build();
    private final OpenPushes pushes = new OpenPushes(config, "t1-0-", System::nanoTime);
    private final SyncHttpServer server = new SyncHttpServer(config, new HoldEveryPush(), parsers, System::currentTimeMillis);

    @AfterEach
    void tearDown() {
        server.stop();
        parsers.shutdownNow();
    }

    @Test
    void theOpenPushesAreAnsweredBeforeUndertowStops() throws Exception {
        server.start(0, TopologyConfig.DEFAULT_SPOUT_IO_THREADS, TopologyConfig.DEFAULT_SPOUT_WORKER_THREADS);
        int port = server.port();
        Socket a = push(port);
        Socket b = push(port);
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (pushes.size() < 2 && System.nanoTime() < end) {
            Thread.sleep(10);
        }
        assertEquals(2, pushes.size(), "both pushes are held open");

        server.stop();

        for (Socket s : new Socket[] {a, b}) {
            String answer = readToEnd(s);
            assertTrue(answer.startsWith("HTTP/1.1 503"), answer);
            assertTrue(answer.toLowerCase().contains("retry-after: 1"), answer);
            assertTrue(answer.contains("\"code\":\"unavailable\"") && answer.contains("the server is shutting down"), answer);
            s.close();
        }
        assertEquals(0, pushes.size());
        assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(), "Undertow has stopped");
    }

    private static Socket push(int port) throws IOException {
        Socket s = new Socket("127.0.0.1", port);
        s.getOutputStream().write(("POST /v1/sync HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + PUSH.length() + "\r\n\r\n" + PUSH).getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
        return s;
    }

    /** Everything the server sends until it closes the connection (or 5 s pass). */
    private static String readToEnd(Socket s) throws IOException {
        s.setSoTimeout(5_000);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        try {
            for (int n; (n = in.read(buf)) != -1; ) {
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // reset or timed out after the answer: what arrived is the answer
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** Holds every push open, as the spout does while its changes travel the topology. */
    private final class HoldEveryPush extends FixedHandoff {
        @Override
        public void push(HttpServerExchange exchange, PushRequest request) {
            pushes.open(Responses.replyTo(exchange), request);
        }

        @Override
        public void answerOpenPushes() {
            pushes.close(2_000);
        }
    }
}
