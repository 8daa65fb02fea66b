package dev.idbsync.spout;

import static dev.idbsync.storm.TupleContract.CHANGES_STREAM;
import static dev.idbsync.storm.TupleContract.PROBE_STREAM;

import dev.idbsync.config.HttpConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.health.HealthMonitor;
import dev.idbsync.health.SinkProbe;
import dev.idbsync.ignite.Endpoints;
import dev.idbsync.ignite.IgniteClientFactory;
import dev.idbsync.ignite.IgniteProbe;
import dev.idbsync.protocol.Change;
import dev.idbsync.storm.Metrics;
import dev.idbsync.storm.PrometheusText;
import dev.idbsync.storm.TupleContract;
import dev.idbsync.storm.WorkerMetrics;
import com.codahale.metrics.MetricRegistry;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Supplier;
import org.apache.storm.Config;
import org.apache.storm.spout.SpoutOutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.topology.base.BaseRichSpout;
import org.apache.storm.tuple.Values;
import org.apache.storm.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP spout: each task runs an Undertow listener (task i on {@code http.port + i}; see
 * {@link HttpSide}), turns every well-formed push into one anchored tuple per change, and answers
 * the push when Storm reports every one of those tuples acked, with the outcomes the bolts stored
 * in Ignite.
 *
 * <p>Delivery: a push is answered 200 only after every tuple of it was acked, that is after every
 * sink made its change durable; any failed or timed-out tuple answers the whole push 503 with
 * {@code Retry-After}, and retrying the same push is safe. Nothing is shared with the bolts but
 * Ignite, so the spout and the bolts may run in different worker processes.
 *
 * <p>Threads: Undertow's threads parse and register pushes; Storm's executor thread emits, acks
 * and fails; a small responder pool reads outcomes and answers. The collector is used only by
 * the executor thread.
 */
public class HttpSyncSpout extends BaseRichSpout {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(HttpSyncSpout.class);

    private final SyncConfig config;
    private final IgniteClientFactory igniteFactory;
    private final List<SinkProbe> probes;

    private transient SpoutOutputCollector collector;
    private transient HttpSide http;
    private transient EndpointRegistry registry;
    private transient ConcurrentLinkedQueue<PendingPush> toEmit;
    private transient PendingPush emitting;
    private transient PeerWorkers peers;
    /** Whether the last nextTuple held its pushes because a worker was down. */
    private transient boolean holding;
    /** When the latest probe went to each recovering worker (executor thread only). */
    private transient Map<PeerWorkers.Address, Long> probedAt;

    public HttpSyncSpout(SyncConfig config, IgniteClientFactory igniteFactory) {
        this(config, igniteFactory, List.of(new IgniteProbe(igniteFactory)));
    }

    /** @param probes the sinks GET /health checks (see {@link HealthMonitor}) */
    public HttpSyncSpout(SyncConfig config, IgniteClientFactory igniteFactory, List<SinkProbe> probes) {
        this.probes = List.copyOf(probes);
        this.config = config;
        this.igniteFactory = igniteFactory;
    }

    @Override
    public void open(Map<String, Object> conf, TopologyContext context, SpoutOutputCollector collector) {
        this.collector = collector;
        toEmit = new ConcurrentLinkedQueue<>();
        // Task id plus a random nonce per start: push keys never repeat across tasks or restarts.
        String keyPrefix = "t" + context.getThisTaskId() + "-" + Long.toHexString(new SecureRandom().nextLong()) + "-";
        List<SinkProbe> healthProbes = new ArrayList<>(probes);
        Object others = context.getResource(PeerWorkersHook.RESOURCE);
        if ("distributed".equals(conf.get(Config.STORM_CLUSTER_MODE)) && others instanceof Supplier<?> supplier) {
            // A worker with no task that takes probes counts as up once its port has accepted
            // connections for Storm's longest reconnect back-off + 0.5 s (see PeerWorkers).
            long graceMs = ((Number) conf.getOrDefault(Config.STORM_MESSAGING_NETTY_MAX_SLEEP_MS, 1000)).longValue() + 500;
            @SuppressWarnings("unchecked")
            Supplier<Map<PeerWorkers.Address, Set<Integer>>> workers = (Supplier<Map<PeerWorkers.Address, Set<Integer>>>) supplier;
            Set<Integer> probeable = new HashSet<>();
            context.getThisTargets().getOrDefault(PROBE_STREAM, Map.of()).keySet()
                    .forEach(component -> probeable.addAll(context.getComponentTasks(component)));
            peers = new PeerWorkers(workers, probeable, PeerWorkers::tcpConnect, graceMs, System::currentTimeMillis);
            probedAt = new HashMap<>();
            healthProbes.add(peers.probe());
            peers.check();
            peers.start();
        }
        SpoutMetrics metrics = new SpoutMetrics(Metrics.of(context));
        metrics.gauge(SpoutMetrics.EMIT_QUEUE_GAUGE, toEmit::size);
        // GET /metrics: the worker's whole registry, found through the first metric this task registered
        com.codahale.metrics.Metric own = metrics.pushes;
        http = new HttpSide(config, igniteFactory, healthProbes, keyPrefix, toEmit::add, System::getenv, metrics, () -> {
            MetricRegistry worker = WorkerMetrics.of(own);
            return worker == null ? null : PrometheusText.write(worker);
        });
        HttpConfig c = config.http();
        http.start(c.port() == 0 ? 0 : c.port() + context.getThisTaskIndex());
        LOG.info("HTTP spout task {} listening on {} (body limit {} bytes, {} changes per push, {} pushes"
                        + " in flight, timeout {} ms)", context.getThisTaskIndex(), http.address(),
                c.maxBodyBytes(), c.maxChangesPerRequest(), c.maxRequestsInFlight(), c.requestTimeoutMs());
        long now = System.currentTimeMillis();
        registry = new EndpointRegistry(http.endpoints(), config.topology().name(), new Endpoints.Endpoint(
                advertisedHost(c.host()), http.port(), http.scheme(), context.getThisTaskIndex(), now, now),
                System::currentTimeMillis);
        registry.start();
    }

    /** A listener on every interface is reached through the host's name (Storm's, so {@code storm.local.hostname} counts). */
    static String advertisedHost(String bindHost) {
        if (!bindHost.equals("0.0.0.0") && !bindHost.equals("::")) {
            return bindHost;
        }
        try {
            return Utils.hostname();
        } catch (UnknownHostException e) {
            throw new IllegalStateException("http.host: 0.0.0.0 needs this host's name for the endpoint list,"
                    + " but it cannot be found (" + e.getMessage() + "); set storm.local.hostname", e);
        }
    }

    @Override
    public void declareOutputFields(OutputFieldsDeclarer declarer) {
        declarer.declareStream(CHANGES_STREAM, TupleContract.Received.FIELDS);
        declarer.declareStream(PROBE_STREAM, true, TupleContract.PROBE_FIELDS);
    }

    @Override
    public void nextTuple() {
        if (peers != null && !peers.allUp()) {
            // A worker is down: what is emitted now would be dropped on the way (see PeerWorkers).
            holding = true;
            sendProbes();
            return;
        }
        if (holding) {
            holding = false;
            LOG.info("the other workers are up: emitting the {} push(es) held meanwhile", toEmit.size() + (emitting == null ? 0 : 1));
        }
        int emitted = 0;
        while (emitted < config.topology().spoutEmitBatch()) {
            if (emitting == null) {
                emitting = toEmit.poll();
                if (emitting == null) {
                    return;
                }
            }
            PendingPush push = emitting;
            List<Change> changes = push.request.changes();
            if (push.answered()) {
                // Timed out or failed while queued: its remaining changes need not travel.
                emitting = null;
                continue;
            }
            if (push.nextToEmit == 0) {
                push.emitting(System.nanoTime(), System.currentTimeMillis(), config.http().requestTimeoutMs());
            }
            Change c = changes.get(push.nextToEmit);
            collector.emit(CHANGES_STREAM, new TupleContract.Received(c, push.key, push.answeredAt).values(),
                    new ChangeMessageId(push, push.nextToEmit));
            emitted++;
            if (++push.nextToEmit == changes.size()) {
                emitting = null;
            }
        }
    }

    /** A probe to each worker that accepts connections again, at most one every PROBE_EVERY_MS each. */
    private void sendProbes() {
        long now = System.currentTimeMillis();
        for (PeerWorkers.Probe p : peers.toProbe()) {
            Long last = probedAt.get(p.worker());
            if (last == null || now - last >= PeerWorkers.PROBE_EVERY_MS) {
                probedAt.put(p.worker(), now);
                collector.emitDirect(p.task(), PROBE_STREAM, new Values(p.worker().toString()), p);
            }
        }
    }

    @Override
    public void ack(Object msgId) {
        if (msgId instanceof PeerWorkers.Probe p) {
            peers.confirm(p);
            return;
        }
        PendingPush push = ((ChangeMessageId) msgId).push();
        if (push.outstanding.decrementAndGet() == 0 && !push.answered()) {
            http.acked(push);
        }
    }

    @Override
    public void fail(Object msgId) {
        if (msgId instanceof PeerWorkers.Probe) {
            return; // lost on the way (Storm's client was reconnecting): the next one is sent meanwhile
        }
        ChangeMessageId id = (ChangeMessageId) msgId;
        LOG.debug("{} failed or timed out in the topology; answering its push 503", id);
        http.failed(id.push());
    }

    @Override
    public void activate() {
        http.active(true);
    }

    @Override
    public void deactivate() {
        http.active(false);
    }

    @Override
    public void close() {
        // First: the load balancer's list drops this task before its listener stops.
        if (registry != null) {
            registry.close();
        }
        if (http != null) {
            http.close();
        }
        if (peers != null) {
            peers.close();
        }
    }
}
