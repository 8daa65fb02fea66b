package dev.idbsync.kafka;

import dev.idbsync.config.KafkaConfig;
import dev.idbsync.health.SinkProbe;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * GET /health for the Kafka sink: a TCP connect to each bootstrap server in turn (at most a
 * second each) until one accepts. As for Flume, a connection is what is checked; a cluster that
 * accepts connections but cannot take records (too few in-sync replicas) shows in the pushes' 503s.
 */
public final class KafkaProbe implements SinkProbe {
    private static final long serialVersionUID = 1L;
    private static final int CONNECT_MS = 1000;

    private final List<String> servers;

    public KafkaProbe(KafkaConfig config) {
        this.servers = List.copyOf(config.bootstrapServers());
    }

    @Override
    public String name() {
        return "kafka";
    }

    @Override
    public void check() throws IOException {
        List<String> failures = new ArrayList<>();
        for (String server : servers) {
            int colon = server.lastIndexOf(':');
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(server.substring(0, colon), Integer.parseInt(server.substring(colon + 1))),
                        CONNECT_MS);
                return;
            } catch (IOException e) {
                failures.add(server + ": " + (e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName()));
            }
        }
        throw new IOException("no broker accepts connections (" + String.join(", ", failures) + ")");
    }
}
