package dev.idbsync.flume;

import dev.idbsync.health.SinkProbe;
import dev.idbsync.config.FlumeConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A Flume agent accepts connections on its Avro source: the bridge's client (one agent, failover
 * or load balancing) can deliver as long as one of the configured agents does. The check is a TCP
 * connect to each agent in turn, with flume.connectTimeoutMs (at most a second), until one
 * accepts. An empty {@code appendBatch} would send nothing (the SDK returns before any RPC), and
 * a real event would land in the agent's output, so a connection is what is checked: an agent
 * that accepts connections but refuses events (a full channel) shows only in the pushes' 503s.
 */
public final class FlumeProbe implements SinkProbe {
    private static final long serialVersionUID = 1L;
    private static final int MAX_CONNECT_MS = 1000;

    private final List<String> agents;
    private final int connectTimeoutMs;

    public FlumeProbe(FlumeConfig config) {
        this.agents = List.copyOf(config.agents());
        this.connectTimeoutMs = Math.min(config.connectTimeoutMs(), MAX_CONNECT_MS);
    }

    @Override
    public String name() {
        return "flume";
    }

    @Override
    public void check() throws IOException {
        List<String> failures = new ArrayList<>();
        for (String agent : agents) {
            int colon = agent.lastIndexOf(':');
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(agent.substring(0, colon), Integer.parseInt(agent.substring(colon + 1))),
                        connectTimeoutMs);
                return;
            } catch (IOException e) {
                failures.add(agent + ": " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
            }
        }
        throw new IOException("no agent accepts connections (" + String.join(", ", failures) + ")");
    }
}
