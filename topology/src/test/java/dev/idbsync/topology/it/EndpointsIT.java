package dev.idbsync.topology.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.config.SyncConfig;
import dev.idbsync.ignite.Endpoints;
import dev.idbsync.ignite.Endpoints.Endpoint;
import dev.idbsync.ignite.SyncCaches;
import dev.idbsync.ignite.ThinClientFactory;
import dev.idbsync.topology.EndpointsMainRunner;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The endpoint registry on a running stack: every spout task's host:port is listed and answers
 * GET /health, the command prints them, and a clean stop removes the entries.
 */
@Tag("integration")
class EndpointsIT {
    private static final int TASKS = 2;

    @TempDir
    static Path dir;

    @Test
    void everySpoutTaskIsListedWhileUpAndGoneAfterACleanStop() throws Exception {
        SyncConfig config = TestStack.localConfig(dir.resolve("data"), b -> b.topology(
                b.build().topology().toBuilder().spoutParallelism(TASKS).build()));
        String topology = config.topology().name();
        int port = config.http().port();
        try (TestStack stack = TestStack.start(config, ThinClientFactory::new)) {
            Endpoints endpoints = new Endpoints(new SyncCaches(stack.reader(), config.ignite()).endpoints());
            List<Endpoint> live = await(() -> endpoints.live(topology, System.currentTimeMillis()),
                    l -> l.size() == TASKS, "both spout tasks registered");
            HttpClient http = HttpClient.newHttpClient();
            for (int i = 0; i < TASKS; i++) {
                Endpoint e = live.get(i);
                assertEquals(i, e.taskIndex());
                assertEquals("127.0.0.1:" + (port + i), e.hostPort(), e.toString());
                assertEquals("http", e.scheme());
                assertTrue(System.currentTimeMillis() - e.heartbeatAt() <= Endpoints.LIVE_MS, e.toString());
                int status = await(() -> get(http, e), s -> s == 200, "task " + i + " /health 200");
                assertEquals(200, status);
            }
            // The command, as an operator runs it against the local run's Ignite.
            String lines = EndpointsMainRunner.run("--config", TestStack.repoRoot().resolve("conf/local.yaml").toString(),
                    "--ignite", config.ignite().addresses().get(0));
            assertEquals("127.0.0.1:" + port + "\n127.0.0.1:" + (port + 1) + "\n", lines);

            // A clean stop removes the entries at once (well before the 15 s liveness would drop them).
            stack.stopStorm();
            long stopped = System.currentTimeMillis();
            await(() -> stack.reader().<String, String>cache(SyncCaches.ENDPOINTS_CACHE).containsKeys(
                    java.util.Set.of(Endpoints.key(topology, 0), Endpoints.key(topology, 1))), has -> !has,
                    "entries removed after the clean stop");
            assertTrue(System.currentTimeMillis() - stopped < Endpoints.LIVE_MS, "removed, not merely expired");
            assertEquals(List.of(), endpoints.live(topology, System.currentTimeMillis()));
        }
    }

    private static int get(HttpClient http, Endpoint e) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create(e.scheme() + "://" + e.hostPort() + "/health")).build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception ex) {
            return -1;
        }
    }

    private static <T> T await(Supplier<T> read, java.util.function.Predicate<T> ok, String what) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        T last = null;
        while (System.nanoTime() < deadline) {
            last = read.get();
            if (ok.test(last)) {
                return last;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("timed out waiting for: " + what + "; last: " + last);
    }
}
