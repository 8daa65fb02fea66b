package dev.idbsync.storm;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import com.codahale.metrics.Counter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.SharedMetricRegistries;
import org.apache.storm.Constants;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** As Storm's Worker shares its registry (Worker#start adds it, Worker#shutdown removes it). */
class WorkerMetricsTest {
    @AfterEach
    void removeIt() {
        SharedMetricRegistries.remove(Constants.WORKER_METRICS_REGISTRY);
    }

    @Test
    void theWorkersRegistryIsFoundOnlyWhenItHoldsTheCallersMetric() {
        Counter own = new Counter();
        assertNull(WorkerMetrics.of(own), "no worker has shared a registry");
        MetricRegistry worker = new MetricRegistry();
        SharedMetricRegistries.add(Constants.WORKER_METRICS_REGISTRY, worker);
        assertNull(WorkerMetrics.of(own), "another worker's registry (a LocalCluster's first worker)");
        worker.register("storm.topology.t-1-1.h.http.5.6700-idbsync.http.pushes", own);
        assertSame(worker, WorkerMetrics.of(own));
        SharedMetricRegistries.remove(Constants.WORKER_METRICS_REGISTRY);
        assertNull(WorkerMetrics.of(own), "the worker stopped");
    }
}
