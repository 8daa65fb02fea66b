package dev.idbsync.topology.it;

import static dev.idbsync.topology.it.Push.note;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.config.AuthConfig;
import dev.idbsync.config.RateLimitConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.ignite.ThinClientFactory;
import dev.idbsync.protocol.Json;
import dev.idbsync.storm.PrometheusFileReporter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The metrics (docs/operations.md, "Metrics") over real HTTP on a LocalCluster with a real Ignite
 * node, Flume agent and file sink, auth on: GET /metrics for the grant idbsync:metrics only; good and
 * bad changes counted by status and code at the spout, the validator and the resolver; the push
 * latency's count; 429s by cause; a client's lag while its changes wait behind a gap, and gone
 * once the gap is filled; Storm's own queue gauges; and the same metrics in the file that
 * {@link PrometheusFileReporter} writes, configured in {@code topology.metrics.reporters}.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetricsIT {
    private static final String WRITE = "notes-app:write notes-app:read";

    @TempDir
    static Path dir;
    private TestStack stack;
    private String ops;
    private String alice;

    @BeforeAll
    void start() throws Exception {
        assertNotNull(System.getenv(AuthIT.SECRET_ENV), "run by failsafe, which sets " + AuthIT.SECRET_ENV);
        SyncConfig config = TestStack.localConfig(dir.resolve("data"), b -> {
            SyncConfig base = b.build();
            return b.auth(AuthConfig.hs256(AuthIT.SECRET_ENV))
                    // a bucket per user: "flood" empties its own, the others never come near 40
                    .rateLimit(new RateLimitConfig(2, 40))
                    .topology(base.topology().toBuilder().stormConfig(Map.of("topology.metrics.reporters", List.of(Map.of(
                            "class", PrometheusFileReporter.class.getName(),
                            "report.period", 1, "report.period.units", "SECONDS",
                            PrometheusFileReporter.DIR, dir.resolve("textfile").toString())))).build());
        });
        stack = TestStack.start(config, ThinClientFactory::new);
        ops = AuthIT.token("prometheus", "idbsync:metrics");
        alice = AuthIT.token("alice", WRITE);
    }

    @AfterAll
    void stop() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    private Http.Answer call(String method, String path, String token, String body) {
        Map<String, String> headers = new HashMap<>();
        if (token != null) {
            headers.put("Authorization", "Bearer " + token);
        }
        if (body != null) {
            headers.put("Content-Type", "application/json");
        }
        return stack.http.request(method, path, headers, body);
    }

    private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{.*})? (\\S+)");

    /** The samples of /metrics, as the series (name and labels) and the value. */
    private Map<String, Double> scrape() {
        Http.Answer a = call("GET", "/metrics", ops, null);
        assertEquals(200, a.status(), a.toString());
        return parse(a.body());
    }

    private static Map<String, Double> parse(String text) {
        Map<String, Double> out = new HashMap<>();
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.matches()) {
                out.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.parseDouble(m.group(3)));
            }
        }
        return out;
    }

    /** The sum over the series of {@code name} that carry every one of {@code labels} ({@code k="v"}). */
    private static double sum(Map<String, Double> samples, String name, String... labels) {
        return samples.entrySet().stream().filter(series(name, labels)).mapToDouble(Map.Entry::getValue).sum();
    }

    private static Predicate<Map.Entry<String, Double>> series(String name, String... labels) {
        return e -> (e.getKey().equals(name) || e.getKey().startsWith(name + "{"))
                && Stream.of(labels).allMatch(l -> e.getKey().contains(l));
    }

    /** Scrapes until {@code check} holds (a decision reaches the counters after its push was answered). */
    private Map<String, Double> awaitMetrics(Predicate<Map<String, Double>> check, String what) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        Map<String, Double> m = scrape();
        while (!check.test(m)) {
            if (System.nanoTime() > end) {
                throw new AssertionError(what + "; /metrics:\n" + call("GET", "/metrics", ops, null).body());
            }
            Thread.sleep(200);
            m = scrape();
        }
        return m;
    }

    @Test
    @Order(1)
    void metricsAreForTheGrantMetricsReadOnly() {
        assertEquals(401, call("GET", "/metrics", null, null).status());
        Http.Answer a = call("GET", "/metrics", alice, null);
        assertEquals(403, a.status(), a.toString());
        assertTrue(a.body().contains("idbsync:metrics"), a.toString());
        Http.Answer ok = call("GET", "/metrics", ops, null);
        assertEquals(200, ok.status());
        assertTrue(ok.header("Content-Type").startsWith("text/plain; version=0.0.4"), ok.header("Content-Type"));
    }

    @Test
    @Order(2)
    void goodAndBadChangesAreCountedByStatusAndCode() throws Exception {
        Http.Answer good = call("POST", "/v1/sync", alice, Push.to("notes-app").client("c-good")
                .put("notes", "m-1", note("one")).put("notes", "m-2", note("two")).put("notes", "m-3", note("three")).json());
        assertEquals(200, good.status(), good.toString());
        Http.Answer mixed = call("POST", "/v1/sync", alice, Push.to("notes-app").client("c-mixed")
                .put("notes", "m-4", note("fine"))
                .put("notes", "m-5", Json.MAPPER.createObjectNode().put("done", true)) // no title: schema
                .put("notes", "m-6", note("fine too")).json());
        assertEquals(200, mixed.status(), mixed.toString());
        assertEquals("rejected", mixed.results().get(1).get("status").asText(), mixed.toString());

        Map<String, Double> m = awaitMetrics(s -> sum(s, "idbsync_resolve_changes_total", "status=\"applied\"") == 5
                && sum(s, "idbsync_sink_written_total", "component=\"files\"") >= 6, "5 changes decided applied");
        // at the spout: what the clients were told
        assertEquals(5, sum(m, "idbsync_http_changes_total", "status=\"applied\""));
        assertEquals(1, sum(m, "idbsync_http_changes_total", "status=\"rejected\""));
        assertEquals(1, sum(m, "idbsync_http_rejected_total", "code=\"schema\""));
        assertEquals(2, sum(m, "idbsync_http_pushes_total"));
        assertEquals(2, sum(m, "idbsync_http_push_latency_seconds_count"), "one latency per push answered 200");
        assertTrue(sum(m, "idbsync_http_push_latency_seconds", "quantile=\"0.99\"") > 0);
        // at the bolts: each change once
        assertEquals(6, sum(m, "idbsync_validate_checked_total"));
        assertEquals(1, sum(m, "idbsync_validate_rejected_total", "code=\"schema\""));
        assertEquals(1, sum(m, "idbsync_resolve_changes_total", "status=\"rejected\""));
        assertEquals(1, sum(m, "idbsync_resolve_rejected_total", "code=\"schema\""));
        assertEquals(6, sum(m, "idbsync_sequence_changes_total", "verdict=\"admit\""));
        // batches and commits per sink; queues
        assertTrue(sum(m, "idbsync_groupcommit_batch_size_count", "component=\"resolve\"") >= 1);
        assertTrue(sum(m, "idbsync_groupcommit_commit_seconds_count", "component=\"files\"") >= 1);
        assertTrue(sum(m, "idbsync_sink_written_total", "component=\"flume\"") >= 5, "5 events to Flume");
        assertTrue(m.keySet().stream().anyMatch(k -> k.startsWith("idbsync_groupcommit_held{component=\"resolve\"")));
        assertTrue(m.keySet().stream().anyMatch(k -> k.startsWith("storm_") && k.contains("population")),
                "Storm's own queue gauges: " + m.keySet());
        assertTrue(m.keySet().stream().anyMatch(k -> k.startsWith("idbsync_http_pushes_total{")
                && k.contains("component=\"http\"") && k.contains("task=\"") && k.contains("worker_port=\"")), m.keySet().toString());
    }

    @Test
    @Order(3)
    void a429IsCountedByItsCause() throws Exception {
        String flood = AuthIT.token("flood", WRITE);
        int limited = 0;
        for (int i = 0; i < 60; i++) {
            Http.Answer a = call("GET", "/v1/changes?db=notes-app", flood, null);
            limited += a.status() == 429 ? 1 : 0;
        }
        assertTrue(limited >= 15, limited + " of 60 requests got 429 past a burst of 40");
        int expected = limited;
        Map<String, Double> m = awaitMetrics(s -> sum(s, "idbsync_http_refused_total", "status=\"429\"",
                "cause=\"rate_limited\"") == expected, expected + " refusals for the rate limit");
        assertEquals(60 - limited, sum(m, "idbsync_http_feed_pages_total"), "the others were served one page each");
        assertEquals(0, sum(m, "idbsync_http_refused_total", "status=\"503\""));
    }

    @Test
    @Order(4)
    void aClientWaitingBehindAGapShowsItsLagUntilTheGapIsFilled() throws Exception {
        assertEquals(200, call("POST", "/v1/sync", alice, Push.to("notes-app").client("c-lag")
                .put("notes", "l-1", note("one")).json()).status());
        Http.Answer gap = call("POST", "/v1/sync", alice, Push.to("notes-app").client("c-lag").from(3)
                .put("notes", "l-3", note("three")).put("notes", "l-4", note("four")).json());
        assertEquals("out_of_order", gap.results().get(0).get("status").asText(), gap.toString());
        Thread.sleep(1_100);

        String client = "client=\"notes-app/c-lag\"";
        Map<String, Double> m = awaitMetrics(s -> sum(s, "idbsync_sequence_client_lag", client) == 3,
                "c-lag received seq 4 with 1 decided");
        assertTrue(sum(m, "idbsync_sequence_lag_max") >= 3);
        assertTrue(sum(m, "idbsync_sequence_client_oldest_pending_seconds", client) >= 1.0, m.toString());
        assertTrue(sum(m, "idbsync_sequence_oldest_pending_seconds") >= 1.0);
        assertEquals(2, sum(m, "idbsync_sequence_changes_total", "verdict=\"out_of_order\""));

        Http.Answer filled = call("POST", "/v1/sync", alice, Push.to("notes-app").client("c-lag").from(2)
                .put("notes", "l-2", note("two")).put("notes", "l-3", note("three")).put("notes", "l-4", note("four")).json());
        assertEquals(200, filled.status(), filled.toString());
        Map<String, Double> after = awaitMetrics(s -> s.keySet().stream().noneMatch(k -> k.contains(client)),
                "c-lag caught up and left the table");
        assertEquals(0, sum(after, "idbsync_sequence_lag_max"));
        assertEquals(0, sum(after, "idbsync_sequence_lagging_clients"));
    }

    /** Docs true to code: every metric docs/operations.md and the dashboard name is served. */
    @Test
    @Order(5)
    void everyMetricTheDocsAndTheDashboardNameIsServed() throws Exception {
        Map<String, Double> m = scrape();
        String ops = Files.readString(TestStack.repoRoot().resolve("docs/operations.md"));
        String metricsSection = ops.substring(ops.indexOf("## Metrics"));
        String dashboard = Files.readString(TestStack.repoRoot().resolve("docs/grafana-dashboard.json"));
        java.util.Set<String> names = new java.util.TreeSet<>();
        Matcher n = Pattern.compile("\\b((?:idbsync|storm)_[a-z_]+[a-z])\\b").matcher(metricsSection + dashboard);
        while (n.find()) {
            names.add(n.group(1));
        }
        assertTrue(names.size() > 25, names.toString());
        // the client tables have rows only while a client lags: served in the test above
        names.removeAll(List.of("idbsync_sequence_client_lag", "idbsync_sequence_client_oldest_pending_seconds"));
        for (String name : names) {
            assertTrue(m.keySet().stream().anyMatch(k -> k.equals(name) || k.startsWith(name + "{")
                    || k.startsWith(name + "_count")), name + " is named in the docs but not served: " + m.keySet());
        }
    }

    @Test
    @Order(6)
    void theFileReporterWritesTheSameMetricsForNodeExporter() throws Exception {
        Path textfile = dir.resolve("textfile");
        long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (true) {
            try (Stream<Path> files = Files.exists(textfile) ? Files.list(textfile) : Stream.empty()) {
                List<Path> prom = files.filter(p -> p.getFileName().toString().endsWith(".prom")).toList();
                if (prom.size() == 1) {
                    Map<String, Double> m = parse(Files.readString(prom.get(0)));
                    // five pushes so far; 3 + 2 + 1 + 3 changes applied
                    if (sum(m, "idbsync_http_pushes_total") == 5
                            && sum(m, "idbsync_resolve_changes_total", "status=\"applied\"") == 9) {
                        assertTrue(prom.get(0).getFileName().toString().startsWith("idbsync-"), prom.toString());
                        assertEquals(1, sum(m, "idbsync_resolve_rejected_total", "code=\"schema\""));
                        return;
                    }
                }
            }
            assertTrue(System.nanoTime() < end, "no metrics file in " + textfile);
            Thread.sleep(200);
        }
    }
}
