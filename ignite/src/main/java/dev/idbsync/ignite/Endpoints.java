package dev.idbsync.ignite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import javax.cache.Cache;
import org.apache.ignite.cache.query.ScanQuery;
import org.apache.ignite.client.ClientCache;

/**
 * Where each spout task listens, for generating a load balancer's config: every task writes its
 * {@link Endpoint} under {@code topologyName/taskIndex} when its listener is up and again every
 * {@link #HEARTBEAT_MS}, and removes it on a clean close. An endpoint is live while its heartbeat
 * is at most {@link #LIVE_MS} old, so a task that died without closing drops out of the list.
 */
public final class Endpoints {
    /** How often a task rewrites its entry. */
    public static final long HEARTBEAT_MS = 5_000;
    /** Three missed heartbeats: long enough for a slow write or a GC pause, short next to an LB's own checks. */
    public static final long LIVE_MS = 15_000;

    /** One task's listener; {@code scheme} is {@code https} when {@code http.tls} is set. */
    public record Endpoint(String host, int port, String scheme, int taskIndex, long startedAt, long heartbeatAt) {
        public String hostPort() {
            return host + ":" + port;
        }

        public boolean liveAt(long nowMs) {
            return nowMs - heartbeatAt <= LIVE_MS;
        }

        public Endpoint beat(long nowMs) {
            return new Endpoint(host, port, scheme, taskIndex, startedAt, nowMs);
        }

        public String toJson() {
            ObjectNode n = Json.MAPPER.createObjectNode();
            n.put("host", host).put("port", port).put("scheme", scheme).put("taskIndex", taskIndex)
                    .put("startedAt", startedAt).put("heartbeatAt", heartbeatAt);
            return n.toString();
        }

        public static Endpoint parse(String json) {
            try {
                JsonNode n = Json.MAPPER.readTree(json);
                return new Endpoint(n.get("host").asText(), n.get("port").asInt(), n.get("scheme").asText(),
                        n.get("taskIndex").asInt(), n.get("startedAt").asLong(), n.get("heartbeatAt").asLong());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final ClientCache<String, String> cache;

    public Endpoints(ClientCache<String, String> cache) {
        this.cache = cache;
    }

    public static String key(String topology, int taskIndex) {
        return topology + "/" + taskIndex;
    }

    public void put(String topology, Endpoint e) {
        cache.put(key(topology, e.taskIndex()), e.toJson());
    }

    public void remove(String topology, int taskIndex) {
        cache.remove(key(topology, taskIndex));
    }

    /** The live endpoints of {@code topology}, by task index. */
    public List<Endpoint> live(String topology, long nowMs) {
        Map<String, String> all = new java.util.HashMap<>();
        for (Cache.Entry<String, String> e : cache.query(new ScanQuery<String, String>()).getAll()) {
            all.put(e.getKey(), e.getValue());
        }
        return live(all, topology, nowMs);
    }

    /** The rule, on the raw entries: this topology's keys, heartbeat at most {@link #LIVE_MS} old. */
    static List<Endpoint> live(Map<String, String> entries, String topology, long nowMs) {
        List<Endpoint> live = new ArrayList<>();
        entries.forEach((k, v) -> {
            if (k.startsWith(topology + "/")) {
                Endpoint e = Endpoint.parse(v);
                if (e.liveAt(nowMs)) {
                    live.add(e);
                }
            }
        });
        live.sort(Comparator.comparingInt(Endpoint::taskIndex));
        return live;
    }
}
