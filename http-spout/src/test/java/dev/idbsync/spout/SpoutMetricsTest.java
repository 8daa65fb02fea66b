package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.codahale.metrics.MetricRegistry;
import dev.idbsync.storm.Metrics;
import dev.idbsync.storm.PrometheusText;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SpoutMetricsTest {
    private final MetricRegistry registry = new MetricRegistry();
    private final SpoutMetrics metrics = new SpoutMetrics(Metrics.of(registry));

    private long count(String base, String... labels) {
        return registry.counter(PrometheusText.name(base, labels)).getCount();
    }

    @Test
    void anAnsweredPushCountsItsChangesByStatusAndItsRejectionsByCode() {
        metrics.answered("{\"results\":[{\"seq\":1,\"status\":\"applied\",\"version\":1},"
                + "{\"seq\":2,\"status\":\"rejected\",\"error\":{\"code\":\"schema\",\"path\":\"/value/title\",\"message\":\"m\"}},"
                + "{\"seq\":3,\"status\":\"duplicate\",\"version\":4},{\"seq\":4,\"status\":\"out_of_order\",\"expectedSeq\":2}]}",
                TimeUnit.MILLISECONDS.toNanos(12));
        assertEquals(1, count(SpoutMetrics.CHANGES_COUNTER, "status", "applied"));
        assertEquals(1, count(SpoutMetrics.CHANGES_COUNTER, "status", "rejected"));
        assertEquals(1, count(SpoutMetrics.CHANGES_COUNTER, "status", "duplicate"));
        assertEquals(1, count(SpoutMetrics.CHANGES_COUNTER, "status", "out_of_order"));
        assertEquals(0, count(SpoutMetrics.CHANGES_COUNTER, "status", "conflict"));
        assertEquals(1, count(SpoutMetrics.REJECTED_COUNTER, "code", "schema"));
        assertEquals(1, registry.timer(SpoutMetrics.PUSH_LATENCY_TIMER).getCount());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(12), registry.timer(SpoutMetrics.PUSH_LATENCY_TIMER).getSnapshot().getMax());
    }

    @Test
    void everyRefusalHasItsCounterFromTheStart() {
        metrics.refused(Refusal.TIMEOUT);
        metrics.refused(Refusal.TIMEOUT);
        assertEquals(2, count(SpoutMetrics.REFUSED_COUNTER, "status", "503", "cause", "timeout"));
        String text = PrometheusText.write(registry);
        for (Refusal r : Refusal.values()) {
            assertEquals(true, text.contains("cause=\"" + r.label() + "\",status=\"" + r.status + "\""), r + " in\n" + text);
        }
    }
}
