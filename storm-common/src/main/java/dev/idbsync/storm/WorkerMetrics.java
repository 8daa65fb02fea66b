package dev.idbsync.storm;

import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.SharedMetricRegistries;
import org.apache.storm.Constants;

/**
 * The metrics registry of the worker a component runs in, as a component can reach it. Storm 2.8's
 * {@code TopologyContext} registers a component's metrics in its worker's registry but does not
 * hand that registry out; the worker also puts it in Dropwizard's {@link SharedMetricRegistries}
 * under {@link Constants#WORKER_METRICS_REGISTRY} when it starts (before its executors open) and
 * takes it out when it stops. In a real cluster a worker is a JVM of its own, so that is this
 * worker's registry. A LocalCluster runs every worker in one JVM, where the name holds the
 * registry of the worker that started first: {@link #of} checks the registry holds the caller's
 * own metric, so a component never shows another worker's metrics as its own.
 */
public final class WorkerMetrics {
    private WorkerMetrics() {
    }

    /**
     * The shared worker registry, if it holds {@code own} (a metric the caller registered through
     * its {@code TopologyContext}); else null.
     */
    public static MetricRegistry of(Metric own) {
        if (!SharedMetricRegistries.names().contains(Constants.WORKER_METRICS_REGISTRY)) {
            return null;
        }
        // names() said it is there; getOrCreate returns it (only at a worker's stop could it make an empty one)
        MetricRegistry r = SharedMetricRegistries.getOrCreate(Constants.WORKER_METRICS_REGISTRY);
        return r.getMetrics().containsValue(own) ? r : null;
    }
}
