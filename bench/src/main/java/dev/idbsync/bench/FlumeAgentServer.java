package dev.idbsync.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.flume.node.Application;
import org.apache.flume.node.PropertiesFileConfigurationProvider;

/**
 * The durable Flume agent: what a team would otherwise put in front of browsers. Flume 1.11 in
 * process, an HTTP source with the JSONHandler, a FILE channel (a put transaction is fsynced
 * before the source answers 200) and a {@code file_roll} sink, with the channel and sink settings
 * of the local run's agent ({@code conf/flume/local-agent.properties}). The properties file is
 * written to the data dir and the agent starts from it.
 */
final class FlumeAgentServer {
    static final String AGENT = "bench";

    private FlumeAgentServer() {
    }

    static String properties(int port, Path data) {
        String d = data.toAbsolutePath().normalize().toString();
        return String.join("\n",
                "# written by the benchmark (bench/): the durable Flume agent reference",
                "bench.sources = http",
                "bench.channels = file",
                "bench.sinks = out",
                "",
                "bench.sources.http.type = http",
                "bench.sources.http.bind = 127.0.0.1",
                "bench.sources.http.port = " + port,
                "bench.sources.http.channels = file",
                "bench.sources.http.handler = org.apache.flume.source.http.JSONHandler",
                "",
                "bench.channels.file.type = file",
                "bench.channels.file.checkpointDir = " + d + "/flume/channel/checkpoint",
                "bench.channels.file.dataDirs = " + d + "/flume/channel/data",
                "bench.channels.file.transactionCapacity = 1000",
                "",
                "bench.sinks.out.type = file_roll",
                "bench.sinks.out.channel = file",
                "bench.sinks.out.sink.directory = " + d + "/flume/out",
                "bench.sinks.out.sink.rollInterval = 10",
                "bench.sinks.out.sink.serializer = header_and_text",
                "bench.sinks.out.sink.batchSize = 1000",
                "");
    }

    static AutoCloseable start(Map<String, String> opts) throws IOException, InterruptedException {
        int port = Integer.parseInt(opts.get("port"));
        Path data = Path.of(opts.get("data-dir")).toAbsolutePath().normalize();
        Files.createDirectories(data.resolve("flume/out"));
        Path file = data.resolve("flume/agent.properties");
        Files.writeString(file, properties(port, data), StandardCharsets.UTF_8);
        Application app = new Application();
        app.handleConfigurationEvent(new PropertiesFileConfigurationProvider(AGENT, file.toFile()).getConfiguration());
        app.start();
        awaitListening(port, 60_000);
        return app::stop;
    }

    static void awaitListening(int port, long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("nothing listens on 127.0.0.1:" + port + " after " + timeoutMs + " ms");
    }
}
