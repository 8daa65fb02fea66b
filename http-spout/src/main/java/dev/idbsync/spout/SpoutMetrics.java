package dev.idbsync.spout;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Status;
import dev.idbsync.storm.Metrics;
import dev.idbsync.storm.PrometheusText;
import java.io.IOException;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A spout task's metrics v2 (docs/operations.md, "Metrics"). Names are constants; the labelled
 * ones take their labels through {@link PrometheusText#name}.
 */
final class SpoutMetrics {
    /** Counter: pushes taken (held open for the topology). */
    static final String PUSHES_COUNTER = "idbsync.http.pushes";
    /** Timer: from a push taken to its 200 answer. */
    static final String PUSH_LATENCY_TIMER = "idbsync.http.push.latency";
    /** Counters by {@code status}: the results of the changes of the pushes answered 200. */
    static final String CHANGES_COUNTER = "idbsync.http.changes";
    /** Counters by {@code code}: of those, the {@code rejected} ones by their error's code. */
    static final String REJECTED_COUNTER = "idbsync.http.rejected";
    /** Counters by {@code status} (429, 503) and {@code cause} ({@link Refusal}). */
    static final String REFUSED_COUNTER = "idbsync.http.refused";
    /** Counter: GET /v1/changes pages answered 200 (one pull is one page). */
    static final String FEED_PAGES_COUNTER = "idbsync.http.feed.pages";
    /** Counter: GET /v1/rejected pages answered 200. */
    static final String REJECTED_PAGES_COUNTER = "idbsync.http.rejected.pages";
    /** Gauge: pushes held open now (waiting for the topology or their answer). */
    static final String OPEN_PUSHES_GAUGE = "idbsync.http.open.pushes";
    /** Gauge: pushes waiting for the spout's executor to emit them. */
    static final String EMIT_QUEUE_GAUGE = "idbsync.http.emit.queue";

    final Counter pushes;
    final Timer pushLatency;
    final Counter feedPages;
    final Counter rejectedPages;
    private final Metrics metrics;
    private final Map<Status, Counter> changes = new EnumMap<>(Status.class);
    private final Metrics.Labelled rejectedByCode;
    private final Map<Refusal, Counter> refused = new EnumMap<>(Refusal.class);

    SpoutMetrics(Metrics metrics) {
        this.metrics = metrics;
        pushes = metrics.counter(PUSHES_COUNTER);
        pushLatency = metrics.timer(PUSH_LATENCY_TIMER);
        feedPages = metrics.counter(FEED_PAGES_COUNTER);
        rejectedPages = metrics.counter(REJECTED_PAGES_COUNTER);
        for (Status s : Status.values()) {
            changes.put(s, metrics.counter(PrometheusText.name(CHANGES_COUNTER, "status", s.wire())));
        }
        rejectedByCode = metrics.labelled(REJECTED_COUNTER, "code");
        for (Refusal r : Refusal.values()) {
            refused.put(r, metrics.counter(PrometheusText.name(REFUSED_COUNTER, "status", Integer.toString(r.status),
                    "cause", r.label())));
        }
    }

    /** Metrics nobody reads (unit tests of the parts). */
    static SpoutMetrics none() {
        return new SpoutMetrics(Metrics.of(new MetricRegistry()));
    }

    <T> void gauge(String name, Gauge<T> gauge) {
        metrics.gauge(name, gauge);
    }

    void refused(Refusal r) {
        refused.get(r).inc();
    }

    /** A push answered 200 with {@code body} ({@code {"results": [...]}}), {@code tookNanos} after it was taken. */
    void answered(String body, long tookNanos) {
        pushLatency.update(tookNanos, TimeUnit.NANOSECONDS);
        try {
            for (JsonNode r : Json.MAPPER.readTree(body).path("results")) {
                Status s = Status.fromWire(r.path("status").asText());
                if (s != null) {
                    changes.get(s).inc();
                }
                if (s == Status.REJECTED) {
                    rejectedByCode.of(r.path("error").path("code").asText("unknown")).inc();
                }
            }
        } catch (IOException | RuntimeException e) {
            // the body was built by PushAnswers; a count missed is not worth failing an answer for
        }
    }
}
