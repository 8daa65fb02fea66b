package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.MetricRegistry;
import dev.idbsync.auth.AuthException;
import dev.idbsync.auth.Authenticator;
import dev.idbsync.auth.Principal;
import dev.idbsync.config.HttpConfig;
import dev.idbsync.config.RateLimitConfig;
import dev.idbsync.config.TopologyConfig;
import dev.idbsync.storm.Metrics;
import dev.idbsync.storm.PrometheusText;
import io.github.bucket4j.TimeMeter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * GET /metrics on a real listener: who may read it (auth on: the grant idbsync:metrics; auth off:
 * anyone), http.metrics false, a registry that cannot be reached; and refusals counted by cause.
 */
class SyncHttpServerMetricsTest {
    /** "ops" may read the metrics, "alice" may push and pull notes-app only. */
    private static final Authenticator TOKENS = header -> {
        if (header == null) {
            throw new AuthException("send Authorization: Bearer <token>", false);
        }
        return switch (header) {
            case "Bearer ops" -> Principal.of("prometheus", Set.of(Principal.METRICS_READ));
            case "Bearer alice" -> Principal.of("alice", Set.of("notes-app:write", "notes-app:read"));
            default -> throw new AuthException("the token's signature is not valid", true);
        };
    };

    private final ExecutorService parsers = Executors.newFixedThreadPool(2);
    private final HttpClient client = HttpClient.newHttpClient();
    private final MetricRegistry registry = new MetricRegistry();
    private final SpoutMetrics metrics = new SpoutMetrics(Metrics.of(registry));
    private String text = "# the worker's metrics\nidbsync_x 1.0\n";
    private SyncHttpServer server;

    private void start(HttpConfig config, Gate gate) {
        var handoff = new FixedHandoff() {
            @Override
            public String metrics() {
                return text;
            }
        };
        server = new SyncHttpServer(config, handoff, parsers, System::currentTimeMillis, gate, null, metrics);
        server.start(0, TopologyConfig.DEFAULT_SPOUT_IO_THREADS, TopologyConfig.DEFAULT_SPOUT_WORKER_THREADS);
    }

    @AfterEach
    void stop() {
        server.stop();
        parsers.shutdownNow();
    }

    private HttpResponse<String> get(String path, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void withAuthOnOnlyATokenWithMetricsReadGetsThem() throws Exception {
        start(HttpConfig.builder().port(0).build(), new Gate(TOKENS, RateLimits.OFF));
        assertEquals(401, get("/metrics", null).statusCode());
        assertEquals(401, get("/metrics", "forged").statusCode());
        HttpResponse<String> alice = get("/metrics", "alice");
        assertEquals(403, alice.statusCode());
        assertTrue(alice.body().contains("idbsync:metrics"), alice.body());
        HttpResponse<String> ops = get("/metrics", "ops");
        assertEquals(200, ops.statusCode());
        assertEquals(PrometheusText.CONTENT_TYPE, ops.headers().firstValue("Content-Type").orElse(null));
        assertEquals(text, ops.body());
    }

    @Test
    void withAuthOffAnyoneGetsThemAndAnUnreachableRegistryIs503() throws Exception {
        start(HttpConfig.builder().port(0).build(), Gate.OPEN);
        assertEquals(200, get("/metrics", null).statusCode());
        text = null;
        HttpResponse<String> r = get("/metrics", null);
        assertEquals(503, r.statusCode());
        assertTrue(r.body().contains("cannot be reached"), r.body());
    }

    @Test
    void httpMetricsFalseRemovesTheRoute() throws Exception {
        start(HttpConfig.builder().port(0).metrics(false).build(), Gate.OPEN);
        assertEquals(404, get("/metrics", null).statusCode());
    }

    @Test
    void a429IsCountedByItsCause() throws Exception {
        TimeMeter clock = SyncHttpServerAuthTest.clockAt(new long[] {0});
        start(HttpConfig.builder().port(0).build(), new Gate(TOKENS, new RateLimits(new RateLimitConfig(1, 1), clock)));
        assertEquals(200, get("/v1/changes?db=notes-app", "alice").statusCode());
        assertEquals(429, get("/v1/changes?db=notes-app", "alice").statusCode());
        assertEquals(429, get("/metrics", "alice").statusCode(), "/metrics is behind the same gate");
        assertEquals(2, registry.counter(PrometheusText.name(SpoutMetrics.REFUSED_COUNTER, "status", "429",
                "cause", "rate_limited")).getCount());
        assertEquals(0, registry.counter(PrometheusText.name(SpoutMetrics.REFUSED_COUNTER, "status", "503",
                "cause", "inactive")).getCount());
    }
}
