package dev.idbsync.bolt;

import dev.idbsync.sequence.ClientLag;
import dev.idbsync.storm.Metrics;
import dev.idbsync.storm.PrometheusText;
import dev.idbsync.sequence.Sequencer;
import static dev.idbsync.storm.TupleContract.ADMITTED_STREAM;
import static dev.idbsync.storm.TupleContract.DECIDED_STREAM;

import dev.idbsync.ignite.IgniteClientFactory;
import dev.idbsync.ignite.PushResult;
import dev.idbsync.ignite.SyncCaches;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.storm.TupleContract;
import dev.idbsync.storm.TupleContract.Admitted;
import dev.idbsync.storm.TupleContract.Checked;
import dev.idbsync.storm.TupleContract.Decided;
import java.util.HashMap;
import java.util.Map;
import org.apache.ignite.client.IgniteClient;
import org.apache.storm.Config;
import org.apache.storm.task.OutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.topology.base.BaseRichBolt;
import org.apache.storm.tuple.Tuple;
import org.apache.storm.utils.TupleUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps each client's changes in seq order ({@link Sequencer}); grouped by (db, clientId), so
 * one task owns each client. Admitted changes go on to the resolver; a change refused as
 * {@code pending} or {@code out_of_order} leaves its answer for the spout in Ignite (one entry
 * per push) and is acked; a {@code duplicate} goes to the resolver marked for redelivery only
 * (the spout answers it from the stored outcome). The resolver reports back on {@code decided}, which moves each client's mark;
 * marks are stored in Ignite once a second, so a restarted task starts from them.
 */
public class SequencerBolt extends BaseRichBolt {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(SequencerBolt.class);
    /**
     * A refused push is forgotten this long after its refusal: its changes arrive within
     * milliseconds of each other, and its answer is in Ignite by then.
     */
    private static final long FORGET_REFUSED_AFTER_MS = 10 * 60_000L;
    /** Metrics v2 counters, per task and {@code verdict} (admit, duplicate, pending, out_of_order): changes offered. */
    public static final String CHANGES_COUNTER = "idbsync.sequence.changes";
    /** Metrics v2 gauge, per task: the largest (last seq received - last seq decided) over its clients. */
    public static final String MAX_LAG_GAUGE = "idbsync.sequence.lag.max";
    /** Metrics v2 gauge, per task: seconds since the oldest change received and not decided arrived (0: none). */
    public static final String OLDEST_PENDING_GAUGE = "idbsync.sequence.oldest.pending.seconds";
    /** Metrics v2 gauge, per task: clients with a change received and not decided. */
    public static final String LAGGING_GAUGE = "idbsync.sequence.lagging.clients";
    /** Metrics v2 table gauge, per task: the {@value #TOP} clients with the largest lag, label {@code client} (db/clientId). */
    public static final String CLIENT_LAG_GAUGE = "idbsync.sequence.client.lag";
    /** Metrics v2 table gauge, per task: the {@value #TOP} clients whose oldest undecided change is oldest, in seconds. */
    public static final String CLIENT_PENDING_GAUGE = "idbsync.sequence.client.oldest.pending.seconds";
    /** Clients listed by the table gauges. */
    public static final int TOP = 10;
    /** Lagging clients one task keeps track of for the lag metrics. */
    static final int LAG_CLIENTS = 10_000;

    private final SyncConfig config;
    private final IgniteClientFactory igniteFactory;

    private transient OutputCollector collector;
    private transient IgniteClient ignite;
    private transient SyncCaches caches;
    private transient Sequencer sequencer;
    private transient Map<String, Long> unsavedMarks;
    private transient ClientLag lag;
    private transient Map<Sequencer.Verdict, com.codahale.metrics.Counter> verdicts;

    public SequencerBolt(SyncConfig config, IgniteClientFactory igniteFactory) {
        this.config = config;
        this.igniteFactory = igniteFactory;
    }

    @Override
    public void prepare(Map<String, Object> topoConf, TopologyContext context, OutputCollector collector) {
        this.collector = collector;
        ignite = igniteFactory.create();
        caches = new SyncCaches(ignite, config.ignite());
        unsavedMarks = new HashMap<>();
        sequencer = new Sequencer(inFlightTimeoutMs(config), config.topology().sequencerClientsInMemory(), this::loadMark);
        registerMetrics(Metrics.of(context));
    }

    private void registerMetrics(Metrics metrics) {
        lag = new ClientLag(LAG_CLIENTS);
        verdicts = new java.util.EnumMap<>(Sequencer.Verdict.class);
        for (Sequencer.Verdict v : Sequencer.Verdict.values()) {
            verdicts.put(v, metrics.counter(PrometheusText.name(CHANGES_COUNTER, "verdict", v.name().toLowerCase(java.util.Locale.ROOT))));
        }
        metrics.gauge(MAX_LAG_GAUGE, lag::maxLag);
        metrics.gauge(LAGGING_GAUGE, lag::lagging);
        metrics.gauge(OLDEST_PENDING_GAUGE, () -> lag.oldestPendingAgeMs(System.currentTimeMillis()) / 1000.0);
        metrics.gauge(PrometheusText.name(CLIENT_LAG_GAUGE, "client", PrometheusText.TABLE), () -> lag.topByLag(TOP));
        metrics.gauge(PrometheusText.name(CLIENT_PENDING_GAUGE, "client", PrometheusText.TABLE), () -> {
            Map<String, Double> out = new java.util.LinkedHashMap<>();
            lag.topByPendingAge(TOP, System.currentTimeMillis()).forEach((k, ms) -> out.put(k, ms / 1000.0));
            return out;
        });
    }

    /**
     * How long a change admitted and neither decided nor released stays in flight before it is
     * taken back: {@code http.requestTimeoutMs} + 1 s, or {@code topology.messageTimeoutSecs} + 5 s
     * if that is shorter. Its tuple tree may not have timed out yet (Storm fails a tree between 1x
     * and 2x the message timeout, and never fails one lost with a killed worker any sooner), but
     * by then its push was answered 503 (the spout's deadline is when it emitted the push's first
     * change, which comes before the admission, + {@code requestTimeoutMs}) and the resolver no longer starts deciding
     * its changes. Taking it back early is safe anyway: the resolver decides each change once, so
     * a retry admitted now and the old attempt cannot both apply it. This is what lets a client
     * whose change was lost with a worker be admitted again once its push got its 503, instead of
     * being answered {@code pending} for the message timeout (docs/architecture.md, "After a
     * worker is lost").
     */
    static long inFlightTimeoutMs(SyncConfig config) {
        return Math.min((config.topology().messageTimeoutSecs() + 5) * 1000L, config.http().requestTimeoutMs() + 1000L);
    }

    @Override
    public Map<String, Object> getComponentConfiguration() {
        return Map.of(Config.TOPOLOGY_TICK_TUPLE_FREQ_SECS, 1);
    }

    @Override
    public void execute(Tuple t) {
        if (TupleContract.isProbe(t)) {
            collector.ack(t);
            return;
        }
        if (TupleUtils.isTick(t)) {
            saveMarks();
            sequencer.forgetBlockedPushes(System.currentTimeMillis() - FORGET_REFUSED_AFTER_MS);
            collector.ack(t);
            return;
        }
        if (DECIDED_STREAM.equals(t.getSourceStreamId())) {
            Decided d = Decided.of(t);
            String client = Sequencer.clientKey(d.db(), d.clientId());
            if (d.ok()) {
                sequencer.decided(client, d.seq());
                lag.decided(client, sequencer.mark(client));
            } else {
                sequencer.released(client, d.seq(), d.push());
            }
            collector.ack(t);
            return;
        }
        Checked checked = Checked.of(t);
        Change c = checked.change();
        String push = checked.push();
        boolean refusedBefore = sequencer.blocked(push);
        Sequencer.Outcome o;
        String client = Sequencer.clientKey(c.db(), c.clientId());
        try {
            long now = System.currentTimeMillis();
            o = offer(sequencer, client, c.seq(), push, refusedBefore, now, (key, seqs) -> decidedSeqs(c, seqs));
            verdicts.get(o.verdict()).inc();
            lag.received(client, c.seq(), sequencer.mark(client), now);
        } catch (RuntimeException e) {
            // reading the client's mark or outcomes from Ignite failed: the push gets 503 and is retried
            LOG.warn("sequencing {} failed: {}", c.eventId(), e.toString());
            collector.fail(t);
            return;
        }
        switch (o.verdict()) {
            case ADMIT -> collector.emit(ADMITTED_STREAM, t, checked.admitted(false).values());
            // Decided before: the resolver delivers its stored event to the sinks again, in case
            // the push that decided it failed before every sink had it.
            case DUPLICATE -> collector.emit(ADMITTED_STREAM, t, checked.admitted(true).values());
            case PENDING, OUT_OF_ORDER -> {
                if (!refusedBefore) {
                    try {
                        // The first refusal of a push is the one the spout answers from.
                        caches.pushResults().putIfAbsent(push, PushResult.refused(c.seq(), o).toJson());
                    } catch (RuntimeException e) {
                        LOG.warn("storing the answer of push {} in Ignite failed; its push gets 503: {}", push, e.toString());
                        collector.fail(t);
                        return;
                    }
                }
            }
            default -> throw new IllegalStateException(o.verdict().toString());
        }
        collector.ack(t);
    }

    /**
     * The sequencer's verdict on change {@code seq} of {@code push}, after the two bounded reads
     * that keep a stale memory from refusing it: a catch-up past a mark that lags (a seq far ahead
     * costs one small read, a repeat of it none), and the outcomes of an earlier push's seqs whose
     * {@code decided} notices have not arrived yet (one read, only when the answer would be
     * {@code pending}). Neither is read for a push refused before: its answer is fixed.
     */
    static Sequencer.Outcome offer(Sequencer sequencer, String client, long seq, String push, boolean refusedBefore,
            long now, Sequencer.DecidedLookup lookup) {
        if (!refusedBefore) {
            sequencer.catchUp(client, seq, lookup);
            sequencer.settleInFlight(client, seq, push, lookup);
        }
        return sequencer.offer(client, seq, push, now);
    }

    @Override
    public void cleanup() {
        if (ignite != null) {
            saveMarks();
            try {
                ignite.close();
            } catch (Exception e) {
                LOG.warn("closing the Ignite client failed", e);
            }
        }
    }

    @Override
    public void declareOutputFields(OutputFieldsDeclarer declarer) {
        declarer.declareStream(ADMITTED_STREAM, Admitted.FIELDS);
    }

    /** Which of the client's seqs have an outcome in Ignite (one getAll). */
    private java.util.Set<Long> decidedSeqs(Change c, java.util.List<Long> seqs) {
        Map<String, Long> ids = new java.util.TreeMap<>();
        for (long s : seqs) {
            ids.put(Change.eventId(c.db(), c.clientId(), s), s);
        }
        java.util.Set<Long> out = new java.util.HashSet<>();
        for (String id : caches.outcomes().getAll(ids.keySet()).keySet()) {
            out.add(ids.get(id));
        }
        return out;
    }

    private long loadMark(String client) {
        String v = caches.marks().get(client);
        return v == null ? 0 : Long.parseLong(v);
    }

    /** Marks only move forward, and a mark that lags is safe: the resolver answers a decided seq from its outcome. */
    private void saveMarks() {
        Map<String, Long> moved = sequencer.takeDirtyMarks();
        unsavedMarks.putAll(moved);
        if (unsavedMarks.isEmpty()) {
            return;
        }
        Map<String, String> out = new java.util.TreeMap<>();
        unsavedMarks.forEach((k, v) -> out.put(k, Long.toString(v)));
        try {
            // With a client horizon each write starts the mark's time again: a mark expires that
            // long after it last moved (docs/ignite.md, "Marks").
            SyncCaches.expiringAfterWrite(caches.marks(), config.retention().markHorizonMs()).putAll(out);
            unsavedMarks.clear();
        } catch (RuntimeException e) {
            LOG.warn("storing {} client marks in Ignite failed; trying again in a second: {}", out.size(), e.toString());
        }
    }
}
