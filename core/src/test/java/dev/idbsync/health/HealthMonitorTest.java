package dev.idbsync.health;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.protocol.Json;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HealthMonitorTest {
    private final AtomicLong now = new AtomicLong(1_000_000);

    /** A probe whose outcome the test sets: null ok, else the reason it fails; or it hangs. */
    private static final class Fake implements SinkProbe {
        final String name;
        final AtomicReference<String> failure = new AtomicReference<>();
        volatile CountDownLatch hang;

        Fake(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public void check() throws Exception {
            CountDownLatch h = hang;
            if (h != null) {
                h.await();
            }
            String f = failure.get();
            if (f != null) {
                throw new IOException(f);
            }
        }
    }

    private static JsonNode json(HealthMonitor.Answer a) throws IOException {
        return Json.MAPPER.readTree(a.body());
    }

    @Test
    void okWhenEverySinkIsOkAndUnavailableNamingEachSinkThatIsDown() throws Exception {
        Fake ignite = new Fake("ignite");
        Fake flume = new Fake("flume");
        Fake files = new Fake("files");
        try (HealthMonitor m = new HealthMonitor(List.of(ignite, flume, files), now::get, 500)) {
            m.round();
            HealthMonitor.Answer ok = m.answer(true);
            assertEquals(200, ok.status());
            assertEquals("{\"status\":\"ok\",\"sinks\":{\"ignite\":\"ok\",\"flume\":\"ok\",\"files\":\"ok\"}}", ok.body());

            flume.failure.set("no agent accepts connections");
            files.failure.set("/data/changes is not writable");
            m.round();
            HealthMonitor.Answer down = m.answer(true);
            assertEquals(503, down.status());
            JsonNode n = json(down);
            assertEquals("unavailable", n.get("status").asText());
            assertEquals("ok", n.at("/sinks/ignite").asText());
            assertEquals("no agent accepts connections", n.at("/sinks/flume").asText());
            assertEquals("/data/changes is not writable", n.at("/sinks/files").asText());
            assertEquals("flume: no agent accepts connections; files: /data/changes is not writable", n.get("reason").asText());

            flume.failure.set(null);
            files.failure.set(null);
            m.round();
            assertEquals(200, m.answer(true).status(), "back to ok once the sinks are");
        }
    }

    @Test
    void aHungCheckCountsAsDownWithinTheTimeoutWithoutHoldingTheOthersBack() throws Exception {
        Fake ignite = new Fake("ignite");
        Fake flume = new Fake("flume");
        ignite.hang = new CountDownLatch(1);
        try (HealthMonitor m = new HealthMonitor(List.of(ignite, flume), now::get, 300)) {
            long t0 = System.nanoTime();
            m.round();
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 2_000, "a round ends near the timeout, took " + ms + " ms");
            JsonNode n = json(m.answer(true));
            assertEquals("no answer within 300 ms", n.at("/sinks/ignite").asText());
            assertEquals("ok", n.at("/sinks/flume").asText());
            m.round(); // the hung check is not started a second time, and still counts as down
            assertEquals(503, m.answer(true).status());
            ignite.hang.countDown();
            Thread.sleep(50);
            m.round();
            assertEquals(200, m.answer(true).status());
        }
    }

    @Test
    void staleResultsNotActiveAndNoResultYetAreUnavailable() throws Exception {
        Fake ignite = new Fake("ignite");
        try (HealthMonitor m = new HealthMonitor(List.of(ignite), now::get, 500)) {
            HealthMonitor.Answer first = m.answer(true);
            assertEquals(503, first.status());
            assertTrue(json(first).get("reason").asText().contains("not run yet"));
            m.round();
            assertEquals(503, m.answer(false).status());
            assertEquals("the topology is not active", json(m.answer(false)).get("reason").asText());
            now.addAndGet(HealthMonitor.STALE_AFTER_MS + 1);
            HealthMonitor.Answer stale = m.answer(true);
            assertEquals(503, stale.status());
            assertTrue(json(stale).get("reason").asText().startsWith("health checks stalled"), stale.body());
            assertFalse(json(stale).get("status").asText().equals("ok"));
        }
    }
}
