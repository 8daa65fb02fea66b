package dev.idbsync.storm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.SlidingWindowReservoir;
import com.codahale.metrics.Timer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrometheusTextTest {
    /** As Storm's TopologyContext names a task's metric (StormMetricRegistry#topologyMetricName). */
    private static String taskName(String component, int task, String name) {
        return "storm.topology.idbsync-1-1700000000.host_example_com." + component + "." + task + ".6700-" + name;
    }

    @Test
    void countersOfSeveralTasksAreOneFamilyWithTheirLabels() {
        MetricRegistry r = new MetricRegistry();
        r.counter(taskName("http", 7, PrometheusText.name("idbsync.http.changes", "status", "applied"))).inc(3);
        r.counter(taskName("http", 8, PrometheusText.name("idbsync.http.changes", "status", "applied"))).inc(2);
        r.counter(taskName("http", 7, PrometheusText.name("idbsync.http.changes", "status", "rejected"))).inc();
        String text = PrometheusText.write(r);
        assertEquals(1, text.lines().filter(l -> l.equals("# TYPE idbsync_http_changes_total counter")).count(), text);
        assertTrue(text.contains("idbsync_http_changes_total{component=\"http\",host=\"host_example_com\",status=\"applied\","
                + "task=\"7\",topology=\"idbsync-1-1700000000\",worker_port=\"6700\"} 3.0"), text);
        assertTrue(text.contains("task=\"8\",topology=\"idbsync-1-1700000000\",worker_port=\"6700\"} 2.0"), text);
        assertTrue(text.contains("status=\"rejected\""), text);
    }

    @Test
    void gaugesTimersHistogramsAndStormsOwnNames() {
        MetricRegistry r = new MetricRegistry();
        r.register(taskName("resolve", 3, "idbsync.groupcommit.held"), (com.codahale.metrics.Gauge<Integer>) () -> 12);
        r.register(taskName("resolve", 3, "__receive-population"), (com.codahale.metrics.Gauge<Long>) () -> 5L);
        r.register(taskName("resolve", 3, "a-string"), (com.codahale.metrics.Gauge<String>) () -> "x");
        Timer t = r.register(taskName("http", 1, "idbsync.http.push.latency"), new Timer(new SlidingWindowReservoir(10)));
        t.update(200, TimeUnit.MILLISECONDS);
        t.update(400, TimeUnit.MILLISECONDS);
        Histogram h = r.register(taskName("files", 2, "idbsync.groupcommit.batch.size"),
                new Histogram(new SlidingWindowReservoir(10)));
        h.update(10);
        r.meter("storm.worker.idbsync-1-1700000000.host.__system.-1.6700-doHeartbeat-calls").mark(4);
        r.counter("no.task.name").inc();
        String text = PrometheusText.write(r);
        assertTrue(text.contains("# TYPE idbsync_groupcommit_held gauge"), text);
        assertTrue(text.contains("idbsync_groupcommit_held{component=\"resolve\""), text);
        assertTrue(text.contains("} 12.0"), text);
        assertTrue(text.contains("storm_receive_population{component=\"resolve\""), text);
        assertFalse(text.contains("a_string"), text);
        assertTrue(text.contains("# TYPE idbsync_http_push_latency_seconds summary"), text);
        assertTrue(text.contains("idbsync_http_push_latency_seconds_count{component=\"http\""), text);
        assertTrue(text.lines().anyMatch(l -> l.startsWith("idbsync_http_push_latency_seconds{")
                && l.contains("quantile=\"0.99\"") && l.endsWith(" 0.4")), text);
        assertTrue(text.contains("idbsync_groupcommit_batch_size_count{component=\"files\""), text);
        assertTrue(text.contains("storm_doHeartbeat_calls_total{component=\"__system\""), text);
        assertTrue(text.contains("task=\"-1\""), text);
        assertTrue(text.contains("storm_no_task_name_total 1.0"), text);
    }

    @Test
    void aTableGaugeIsOneDataPointPerRow() {
        MetricRegistry r = new MetricRegistry();
        r.register(taskName("sequence", 4, PrometheusText.name("idbsync.sequence.client.lag", "client", PrometheusText.TABLE)),
                (com.codahale.metrics.Gauge<Map<String, Long>>) () -> new java.util.TreeMap<>(Map.of("notes/c1", 3L, "notes/c2", 1L)));
        String text = PrometheusText.write(r);
        assertTrue(text.contains("idbsync_sequence_client_lag{client=\"notes/c1\",component=\"sequence\""), text);
        assertTrue(text.lines().anyMatch(l -> l.contains("client=\"notes/c2\"") && l.endsWith(" 1.0")), text);
    }

    @Test
    void labelledNamesAreChecked() {
        assertEquals("a.b{x=1,y=2}", PrometheusText.name("a.b", "x", "1", "y", "2"));
        assertEquals("a.b", PrometheusText.name("a.b"));
        assertThrows(IllegalArgumentException.class, () -> PrometheusText.name("a", "x"));
        assertThrows(IllegalArgumentException.class, () -> PrometheusText.name("a", "x", "1,2"));
    }

    @Test
    void theReporterWritesOneFileAndDeletesItOnStop(@TempDir Path dir) throws Exception {
        MetricRegistry r = new MetricRegistry();
        Counter c = r.counter(taskName("sequence", 4, "idbsync.sequence.admitted"));
        c.inc(9);
        Path stale = dir.resolve("idbsync-topo-1-1-999999.prom");
        Files.writeString(stale, "old 1\n");
        Files.setLastModifiedTime(stale, java.nio.file.attribute.FileTime.fromMillis(0));
        PrometheusFileReporter reporter = new PrometheusFileReporter();
        reporter.prepare(r, Map.of("storm.id", "topo-1-1"), Map.of(PrometheusFileReporter.DIR, dir.toString(),
                "report.period", 60));
        reporter.start();
        try {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!Files.exists(reporter.file()) && System.nanoTime() < end) {
                Thread.sleep(20);
            }
            assertTrue(Files.readString(reporter.file()).contains("idbsync_sequence_admitted_total{component=\"sequence\""));
            assertFalse(Files.exists(stale), "a file no worker wrote for ten periods is deleted");
            assertTrue(reporter.file().getFileName().toString().startsWith("idbsync-topo-1-1-"));
        } finally {
            reporter.stop();
        }
        assertFalse(Files.exists(reporter.file()));
    }

    @Test
    void theReporterNeedsItsDirectory() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PrometheusFileReporter()
                .prepare(new MetricRegistry(), Map.of(), Map.of()));
        assertTrue(e.getMessage().contains("needs \"dir\""), e.getMessage());
    }
}
