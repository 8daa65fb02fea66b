package dev.idbsync.storm;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.storm.task.TopologyContext;

/**
 * Where a component registers its metrics: Storm's metrics v2 through its {@link TopologyContext}
 * (per task, into its worker's registry and so to every reporter of
 * {@code topology.metrics.reporters}), or a plain registry in a unit test. Names may carry labels,
 * {@link PrometheusText#name}. The Storm-free parts (the spout's HTTP side) take one of these.
 */
public interface Metrics {
    Counter counter(String name);

    Timer timer(String name);

    Histogram histogram(String name);

    <T> Gauge<T> gauge(String name, Gauge<T> gauge);

    /**
     * A counter per value of one label, registered the first time a value is seen (the values
     * must come from a small fixed set, such as error codes, never from a client).
     */
    default Labelled labelled(String base, String label) {
        Map<String, Counter> counters = new ConcurrentHashMap<>();
        return value -> counters.computeIfAbsent(value, v -> counter(PrometheusText.name(base, label, v)));
    }

    /** Counters by one label's value. */
    interface Labelled {
        Counter of(String value);
    }

    /** The task's metrics v2, as Storm registers them. */
    static Metrics of(TopologyContext context) {
        return new Metrics() {
            @Override
            public Counter counter(String name) {
                return context.registerCounter(name);
            }

            @Override
            public Timer timer(String name) {
                return context.registerTimer(name);
            }

            @Override
            public Histogram histogram(String name) {
                return context.registerHistogram(name);
            }

            @Override
            public <T> Gauge<T> gauge(String name, Gauge<T> gauge) {
                return context.registerGauge(name, gauge);
            }
        };
    }

    /** Into a plain registry under the names as given (tests, and code without Storm). */
    static Metrics of(MetricRegistry registry) {
        return new Metrics() {
            @Override
            public Counter counter(String name) {
                return registry.counter(name);
            }

            @Override
            public Timer timer(String name) {
                return registry.timer(name);
            }

            @Override
            public Histogram histogram(String name) {
                return registry.histogram(name);
            }

            @Override
            @SuppressWarnings("unchecked")
            public <T> Gauge<T> gauge(String name, Gauge<T> gauge) {
                return registry.gauge(name, () -> gauge);
            }
        };
    }
}
