package dev.idbsync.topology.it;

import static dev.idbsync.topology.it.Push.note;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.config.FlumeConfig;
import dev.idbsync.testkit.Ports;
import dev.idbsync.topology.EmbeddedFlumeAgent;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Flume bridge against real Flume agents (Avro source, file channel, file_roll sink), two of
 * them behind the SDK's failover client: events and their headers, an agent down and back, a
 * failover mid-stream, and a slow agent.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlumeIT {
    private static final Pattern LINE = Pattern.compile("^\\{(.*)} (.*)$");

    @TempDir
    static Path dir;
    private TestStack stack;
    private final int portA = Ports.free();
    private final int portB = Ports.free();
    private final Map<Integer, EmbeddedFlumeAgent> agents = new HashMap<>();
    private Path template;

    @BeforeAll
    void start() throws Exception {
        template = TestStack.repoRoot().resolve("conf/flume/local-agent.properties");
        stack = TestStack.start(TestStack.localConfig(dir.resolve("data"), b -> b.flume(FlumeConfig.builder().enabled(true)
                .agents(List.of("127.0.0.1:" + portA, "127.0.0.1:" + portB)).selector(FlumeConfig.Selector.FAILOVER)
                .batchSize(50).connectTimeoutMs(1000).requestTimeoutMs(3000).build())), FaultyIgniteFactoryless::factory);
    }

    @AfterAll
    void stop() throws Exception {
        agents.values().forEach(EmbeddedFlumeAgent::close);
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void eachResolvedChangeArrivesWithItsHeadersAndTheRecordAsBody() throws Exception {
        only(portA, template);
        Http.Answer a = stack.http.push(Push.to("notes-app").client("f-headers").put("notes", "fh-1", note("Buy milk"))
                .delete("notes", List.of("2026", 7)).json());
        assertEquals(200, a.status(), a.toString());

        Map<String, String> put = awaitEvent(portA, "notes-app/f-headers/1");
        assertEquals("notes-app", header(put, "db"));
        assertEquals("notes", header(put, "store"));
        assertEquals("\"fh-1\"", header(put, "key"));
        assertEquals("put", header(put, "op"));
        assertEquals("1", header(put, "version"));
        assertEquals("f-headers", header(put, "clientId"));
        assertEquals("1", header(put, "seq"));
        assertEquals("applied", header(put, "status"));
        assertTrue(Long.parseLong(header(put, "ts")) > 1_700_000_000_000L);
        assertEquals("{\"title\":\"Buy milk\"}", put.get("body"));

        Map<String, String> del = awaitEvent(portA, "notes-app/f-headers/2");
        assertEquals("delete", header(del, "op"));
        assertEquals("[\"2026\",7]", header(del, "key"));
        assertEquals("", del.get("body"), "a delete has an empty body");
    }

    @Test
    void withEveryAgentDownThePushIs503AndTheRetryDeliversOnceOneIsBack() throws Exception {
        stopAll();
        String body = Push.to("notes-app").client("f-down").put("notes", "fd-1", note("a")).put("notes", "fd-2", note("b")).json();
        Http.Answer down = stack.http.push(body);
        assertEquals(503, down.status(), down.toString());
        assertTrue(down.retryAfter() != null);

        only(portA, template);
        Http.Answer retried = stack.http.push(body);
        assertEquals(200, retried.status(), retried.toString());
        awaitEvent(portA, "notes-app/f-down/1");
        awaitEvent(portA, "notes-app/f-down/2");
    }

    @Test
    void whenTheActiveAgentStopsMidStreamTheOtherGetsTheRest() throws Exception {
        stopAll();
        start(portA, template);
        start(portB, template);
        List<String> acked = new ArrayList<>();
        for (int i = 1; i <= 20; i++) {
            if (i == 8) {
                agents.remove(portA).close(); // the active agent goes away mid-stream
            }
            String body = Push.to("notes-app").client("f-fail").from(i).put("notes", "ff-" + i, note("n" + i)).json();
            Http.Answer a = stack.http.push(body);
            if (a.status() == 503) {
                a = stack.http.push(body); // the client's retry
            }
            assertEquals(200, a.status(), a.toString());
            acked.add("notes-app/f-fail/" + i);
        }
        for (String id : acked) {
            awaitAnywhere(id);
        }
        Set<String> onB = eventIds(portB);
        assertTrue(onB.contains("notes-app/f-fail/20"), "after the failover the other agent has the events");
    }

    @Test
    void aSlowAgentCostsItsPushesTheTimeoutButNotTheSpoutsOtherWork() throws Exception {
        stopAll();
        only(portA, TestStack.repoRoot().resolve("topology/src/test/resources/flume/slow-agent.properties"));
        try {
            // /health checks the sinks once a second: wait until it has seen the agent up again
            long up = System.nanoTime() + 15_000_000_000L;
            while (stack.http.get("/health").status() != 200 && System.nanoTime() < up) {
                Thread.sleep(100);
            }
            long t0 = System.nanoTime();
            var slow = java.util.concurrent.CompletableFuture.supplyAsync(() -> stack.http.push(
                    Push.to("notes-app").client("f-slow").put("notes", "fs-1", note("a")).json()));
            Thread.sleep(500);
            long h0 = System.nanoTime();
            Http.Answer health = stack.http.get("/health");
            Http.Answer bad = stack.http.post("/v1/sync", "application/json", HttpRequest.BodyPublishers.ofString("{"));
            long otherMs = (System.nanoTime() - h0) / 1_000_000;
            assertEquals(200, health.status());
            assertEquals(400, bad.status());
            assertTrue(otherMs < 2000, "health and a bad request answered in " + otherMs + " ms while Flume is slow");
            Http.Answer a = slow.get();
            long pushMs = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(503, a.status(), "the agent is slower than flume.requestTimeoutMs: " + a);
            assertTrue(pushMs < 20_000, "the push was answered within the timeouts: " + pushMs + " ms");
        } finally {
            stopAll();
            only(portA, template);
        }
    }

    private void only(int port, Path tpl) throws Exception {
        if (agents.containsKey(port) && tpl.equals(template) && agents.size() == 1) {
            return;
        }
        stopAll();
        start(port, tpl);
    }

    private void start(int port, Path tpl) throws Exception {
        agents.put(port, EmbeddedFlumeAgent.start(tpl, dir.resolve("agent-" + port), port));
    }

    private void stopAll() {
        agents.values().forEach(EmbeddedFlumeAgent::close);
        agents.clear();
    }

    private Map<String, String> awaitEvent(int port, String eventId) throws Exception {
        long deadline = System.nanoTime() + 40_000_000_000L;
        while (System.nanoTime() < deadline) {
            Map<String, String> e = events(port).get(eventId);
            if (e != null) {
                return e;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("event " + eventId + " never reached the agent on port " + port + "; it has " + eventIds(port));
    }

    private void awaitAnywhere(String eventId) throws Exception {
        long deadline = System.nanoTime() + 40_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (eventIds(portA).contains(eventId) || eventIds(portB).contains(eventId)) {
                return;
            }
            Thread.sleep(250);
        }
        throw new AssertionError("acknowledged event " + eventId + " reached no agent");
    }

    private Set<String> eventIds(int port) throws IOException {
        return new HashSet<>(events(port).keySet());
    }

    /** The agent's file_roll output: one "{headers} body" line per event. */
    private Map<String, Map<String, String>> events(int port) throws IOException {
        Map<String, Map<String, String>> out = new HashMap<>();
        Path outDir = dir.resolve("agent-" + port).resolve("flume/out");
        if (!Files.isDirectory(outDir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(outDir)) {
            for (Path f : files.toList()) {
                for (String line : Files.readAllLines(f)) {
                    Matcher m = LINE.matcher(line);
                    if (!m.matches()) {
                        continue;
                    }
                    Map<String, String> e = new HashMap<>();
                    e.put("headers", m.group(1));
                    e.put("body", m.group(2));
                    Matcher id = Pattern.compile("(?:^|, )eventId=([^,]+)").matcher(m.group(1));
                    if (id.find()) {
                        out.put(id.group(1), e);
                    }
                }
            }
        }
        return out;
    }

    /** A header's value; the key header may hold commas, so it is read up to the next known header. */
    private static String header(Map<String, String> event, String name) {
        Matcher m = Pattern.compile("(?:^|, )" + name + "=(.*?)(?=, (?:op|eventId|clientId|store|version|db|key|seq|ts|status|policy)=|$)")
                .matcher(event.get("headers"));
        assertTrue(m.find(), "no header " + name + " in " + event.get("headers"));
        return m.group(1);
    }

    /** No fault injection here: the real thin client. */
    private static final class FaultyIgniteFactoryless {
        static dev.idbsync.ignite.IgniteClientFactory factory(dev.idbsync.config.IgniteConfig ic) {
            return new dev.idbsync.ignite.ThinClientFactory(ic);
        }
    }
}
