package dev.idbsync.topology;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.flume.node.Application;
import org.apache.flume.node.PropertiesFileConfigurationProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real Flume agent started in-process from a properties file (the local run's
 * {@code conf/flume/local-agent.properties}), so that a newcomer sees events arrive without
 * installing Flume. The file's {@code @idbsync.port@} and {@code @idbsync.data@} are filled in
 * and the result is written to {@code DATA/flume/agent.properties}, from which the agent starts.
 */
public final class EmbeddedFlumeAgent implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedFlumeAgent.class);
    /** The agent name the local properties file uses. */
    public static final String AGENT_NAME = "local";

    private final Application application;
    private final int port;

    private EmbeddedFlumeAgent(Application application, int port) {
        this.application = application;
        this.port = port;
    }

    /** Starts the agent and waits until its Avro source accepts connections. */
    public static EmbeddedFlumeAgent start(Path template, Path dataDir, int port) throws IOException, InterruptedException {
        Path data = dataDir.toAbsolutePath().normalize();
        String text = Files.readString(template, StandardCharsets.UTF_8)
                .replace("@idbsync.port@", Integer.toString(port))
                .replace("@idbsync.data@", data.toString());
        Path resolved = data.resolve("flume/agent.properties");
        Files.createDirectories(resolved.getParent());
        Files.createDirectories(data.resolve("flume/out"));
        Files.writeString(resolved, text, StandardCharsets.UTF_8);
        LOG.info("starting Flume agent '{}' from {} (Avro source on 127.0.0.1:{})", AGENT_NAME, resolved, port);
        Application app = new Application();
        app.handleConfigurationEvent(new PropertiesFileConfigurationProvider(AGENT_NAME, resolved.toFile()).getConfiguration());
        app.start();
        EmbeddedFlumeAgent agent = new EmbeddedFlumeAgent(app, port);
        agent.awaitListening(30_000);
        return agent;
    }

    public int port() {
        return port;
    }

    private void awaitListening(long timeoutMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMs;
        while (System.currentTimeMillis() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 500);
                return;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new IllegalStateException("the Flume agent's Avro source did not listen on 127.0.0.1:" + port + " within "
                + timeoutMs + " ms; see the log");
    }

    /** Stops the agent: its sources, then its channel (whose file keeps what the sink has not taken yet). */
    @Override
    public void close() {
        application.stop();
    }
}
