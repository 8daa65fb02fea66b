package dev.idbsync.topology.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.ignite.ThinClientFactory;
import dev.idbsync.config.FlumeConfig;
import dev.idbsync.testkit.Ports;
import dev.idbsync.topology.EmbeddedFlumeAgent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /health as a load balancer reads it: 200 only while every sink can take a push, 503 with
 * Retry-After naming the sink that is down, answered at once even while Ignite is gone.
 */
@Tag("integration")
class HealthIT {
    @TempDir
    static Path dir;

    @Test
    void eachSinkThatGoesDownIsNamedAndHealthComesBackWithIt() throws Exception {
        int flumePort = Ports.free();
        Path template = TestStack.repoRoot().resolve("conf/flume/local-agent.properties");
        Path filesRoot = dir.resolve("files");
        EmbeddedFlumeAgent agent = EmbeddedFlumeAgent.start(template, dir.resolve("agent"), flumePort);
        try (TestStack stack = TestStack.start(TestStack.localConfig(dir.resolve("data"), b -> b
                        .flume(FlumeConfig.builder().enabled(true).agents(List.of("127.0.0.1:" + flumePort))
                                .connectTimeoutMs(1000).requestTimeoutMs(3000).build())
                        .files(b.build().files().toBuilder().dir(filesRoot.toString()).build())),
                ThinClientFactory::new)) {
            Http.Answer ok = await(stack, a -> a.status() == 200, "healthy at start");
            JsonNode sinks = ok.json().get("sinks");
            assertEquals("ok", sinks.get("ignite").asText(), ok.toString());
            assertEquals("ok", sinks.get("flume").asText(), ok.toString());
            assertEquals("ok", sinks.get("files").asText(), ok.toString());

            // Flume: the agent stops, then comes back on its port.
            agent.close();
            Http.Answer noFlume = await(stack, a -> a.status() == 503, "503 once the Flume agent is gone");
            assertNotNull(noFlume.retryAfter(), noFlume.toString());
            assertEquals("unavailable", noFlume.json().get("status").asText());
            assertTrue(noFlume.json().at("/sinks/flume").asText().contains("127.0.0.1:" + flumePort), noFlume.toString());
            assertEquals("ok", noFlume.json().at("/sinks/ignite").asText());
            assertTrue(noFlume.json().get("reason").asText().startsWith("flume: "), noFlume.toString());
            agent = EmbeddedFlumeAgent.start(template, dir.resolve("agent"), flumePort);
            await(stack, a -> a.status() == 200, "200 again once the agent is back");

            // Files: a plain file stands where the changes tree must be.
            Path changes = filesRoot.resolve("changes");
            Path moved = filesRoot.resolve("changes-moved");
            Files.move(changes, moved);
            Files.writeString(changes, "not a directory");
            Http.Answer noFiles = await(stack, a -> a.status() == 503, "503 once files.dir cannot be written");
            assertTrue(noFiles.json().at("/sinks/files").asText().contains(changes.toString()), noFiles.toString());
            assertEquals("ok", noFiles.json().at("/sinks/flume").asText());
            Files.delete(changes);
            Files.move(moved, changes);
            await(stack, a -> a.status() == 200, "200 again once it can");

            // Ignite: the node stops; /health still answers at once, and says so.
            stack.stopIgnite();
            Http.Answer noIgnite = await(stack, a -> a.status() == 503 && !a.json().at("/sinks/ignite").asText().equals("ok"),
                    "503 naming ignite once the node is gone");
            assertNotNull(noIgnite.retryAfter());
            for (int i = 0; i < 5; i++) {
                long t0 = System.nanoTime();
                Http.Answer a = stack.http.get("/health");
                long ms = (System.nanoTime() - t0) / 1_000_000;
                assertEquals(503, a.status(), a.toString());
                assertTrue(ms < 1000, "/health answered in " + ms + " ms while Ignite is down");
                Thread.sleep(300);
            }
        } finally {
            agent.close();
        }
    }

    /** Polls /health until {@code until} holds, for at most 15 s; each answer must come within 1 s. */
    private static Http.Answer await(TestStack stack, Predicate<Http.Answer> until, String what) throws InterruptedException {
        long deadline = System.nanoTime() + 15_000_000_000L;
        Http.Answer last = null;
        while (System.nanoTime() < deadline) {
            long t0 = System.nanoTime();
            last = stack.http.get("/health");
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 1000, "/health answered in " + ms + " ms: " + last);
            if (until.test(last)) {
                return last;
            }
            Thread.sleep(200);
        }
        throw new AssertionError(what + ": not within 15 s; last answer " + last);
    }
}
