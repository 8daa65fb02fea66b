package dev.idbsync.topology.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.protocol.Json;
import dev.idbsync.testkit.Ports;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.ignite.Ignition;
import org.apache.ignite.client.IgniteClient;
import org.apache.ignite.configuration.ClientConfiguration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's run command, as a user runs it: ./run-local in its own process, stopped with SIGTERM, and killed. */
@Tag("integration")
class LocalRunIT {
    @TempDir
    static Path dir;

    @Test
    void runLocalAnswersTheReadmePushKeepsRecordsAcrossARestartAndACrashAndStopsCleanly() throws Exception {
        int port = Ports.free();
        int ignitePort = Ports.free();
        Path data = Path.of(System.getProperty("lrit.data", dir.resolve("data").toString()));
        String body = Files.readString(TestStack.repoRoot().resolve("docs/examples/push.json"));
        // -Dlrit.data may point at a data dir made by an older release, which keeps its db/wal layout
        boolean fresh = !Files.exists(data.resolve("ignite/db/wal"));

        try (Run run = Run.start(port, ignitePort, data)) {
            run.awaitLine("ready on http://127.0.0.1:" + port);
            assertTrue(run.output().stream().anyMatch(l -> l.contains(data.toAbsolutePath().toString())),
                    "the run says where data goes: " + run.output());
            Http.Answer a = new Http("http://127.0.0.1:" + port).push(body);
            assertEquals(200, a.status(), a.toString());
            assertEquals(3, a.results().size());
            assertEquals(2, readN1(ignitePort).get("version").asInt());
            Http.Answer metrics = new Http("http://127.0.0.1:" + port).get("/metrics");
            assertEquals(200, metrics.status(), "/metrics answers on the local run (auth off)");
            assertTrue(metrics.body().contains("idbsync_http_pushes_total{") && metrics.body().contains("component=\"resolve\""),
                    "one worker: the spout's port shows every component: " + metrics.body());
            List<String> listening = Listeners.of(run.pid());
            assertTrue(listening.size() >= 5, "HTTP, Ignite (thin, discovery, communication), Flume and ZooKeeper listen: "
                    + listening);
            assertEquals(List.of(), listening.stream().filter(addr -> !Listeners.isLoopback(addr)).toList(),
                    "the local run listens on 127.0.0.1 only, ZooKeeper included; all its listeners: " + listening);

            int exit = run.stop();
            assertTrue(run.output().contains("stopped"), "a clean stop says so (exit " + exit + "): " + run.output());
            assertTrue(exit == 0 || exit == 143, "exit code on SIGTERM: " + exit);
        }

        try (Run again = Run.start(port, ignitePort, data)) {
            again.awaitLine("ready on http://127.0.0.1:" + port);
            JsonNode n1 = readN1(ignitePort);
            assertEquals(2, n1.get("version").asInt(), "the second start finds the records of the first");
            assertTrue(n1.at("/value/done").asBoolean());
            Http.Answer resent = new Http("http://127.0.0.1:" + port).push(body);
            assertEquals(200, resent.status(), resent.toString());
            for (int i = 0; i < 3; i++) {
                assertEquals("duplicate", resent.results().get(i).get("status").asText(),
                        "seq marks and outcomes survive a restart: " + resent);
                assertEquals(List.of(1, 2, 1).get(i), resent.results().get(i).get("version").asInt());
            }
            Http.Answer a = new Http("http://127.0.0.1:" + port).push(Push.to("notes-app").client("c-after-restart")
                    .put("notes", "n-1", Push.note("Buy oat milk"), 2).json());
            assertEquals(200, a.status(), a.toString());
            assertEquals(3, a.results().get(0).get("version").asInt(), "versions go on from where they were");
            // A crash: no stop, no checkpoint. The change acknowledged last is only in the WAL.
            again.kill();
        }
        if (fresh) {
            assertTrue(Files.isDirectory(data.resolve("ignite/db/wal-direct")), "a new data dir's WAL is in ignite/db/wal-direct");
        }

        try (Run third = Run.start(port, ignitePort, data)) {
            third.awaitLine("ready on http://127.0.0.1:" + port);
            assertEquals(3, readN1(ignitePort).get("version").asInt(),
                    "the change acknowledged just before the crash is there (replayed from the WAL)");
            third.stop();
        }
    }

    @Test
    void aBadFlagStopsWithAMessageAndUsage() throws Exception {
        Process p = new ProcessBuilder(TestStack.repoRoot().resolve("run-local").toString(), "--port", "http")
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(2, p.exitValue(), out);
        assertTrue(out.contains("--port: \"http\" is not a port"), out);
        assertTrue(out.contains("usage: ./run-local"), out);
    }

    private static JsonNode readN1(int ignitePort) throws IOException {
        // A plain thin client: nothing of idbsync on its side, a String key and a JSON String value.
        try (IgniteClient client = Ignition.startClient(new ClientConfiguration().setAddresses("127.0.0.1:" + ignitePort))) {
            String json = client.<String, String>cache("notes-app.notes").get("\"n-1\"");
            return Json.MAPPER.readTree(json);
        }
    }

    /** One ./run-local process and the lines it printed. */
    private static final class Run implements AutoCloseable {
        private final Process process;
        private final List<String> lines = new CopyOnWriteArrayList<>();

        private Run(Process process) {
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        lines.add(l);
                    }
                } catch (IOException e) {
                    // the process ended
                }
            });
            reader.setDaemon(true);
            reader.start();
        }

        static Run start(int port, int ignitePort, Path data) throws IOException {
            return new Run(new ProcessBuilder(TestStack.repoRoot().resolve("run-local").toString(),
                    "--port", Integer.toString(port), "--ignite-port", Integer.toString(ignitePort),
                    "--data-dir", data.toString()).redirectErrorStream(true).start());
        }

        void awaitLine(String line) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (System.nanoTime() < deadline) {
                if (lines.contains(line)) {
                    return;
                }
                if (!process.isAlive()) {
                    break;
                }
                Thread.sleep(100);
            }
            throw new AssertionError("no line \"" + line + "\"; the run printed: " + lines);
        }

        List<String> output() {
            return lines;
        }

        /** ./run-local execs java, so the script's process is the JVM. */
        long pid() {
            return process.pid();
        }

        /** SIGTERM, as Ctrl-C or a service manager would send; returns the exit code. */
        int stop() throws InterruptedException {
            // ProcessHandle#destroy sends SIGTERM and leaves the pipes open, so the last lines
            // can still be read (Process#destroy closes them at once).
            process.toHandle().destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the run did not stop within 60 s of SIGTERM: " + lines);
            }
            Thread.sleep(200); // let the reader take the last lines
            return process.exitValue();
        }

        /** SIGKILL, as a crash or the OOM killer would end it: nothing runs on the way out. */
        void kill() throws InterruptedException {
            process.toHandle().destroyForcibly();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("the run did not end within 30 s of SIGKILL");
            }
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        }
    }
}
