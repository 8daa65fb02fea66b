package dev.idbsync.bolt;

import dev.idbsync.ignite.FeedRetention;
import dev.idbsync.protocol.Status;
import dev.idbsync.storm.Metrics;
import dev.idbsync.storm.PrometheusText;
import dev.idbsync.ignite.ResolveWriter;
import static dev.idbsync.storm.TupleContract.DECIDED_STREAM;
import static dev.idbsync.storm.TupleContract.REJECTED_LOG_STREAM;
import static dev.idbsync.storm.TupleContract.RESOLVED_STREAM;

import dev.idbsync.ignite.IgniteClientFactory;
import dev.idbsync.ignite.SyncCaches;
import dev.idbsync.storm.GroupCommitBolt;
import dev.idbsync.storm.TupleContract.Admitted;
import dev.idbsync.storm.TupleContract.Decided;
import dev.idbsync.storm.TupleContract.RejectedEntry;
import dev.idbsync.storm.TupleContract.Resolved;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.ignite.client.IgniteClient;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.tuple.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settles conflicts and makes each decision durable in Ignite ({@link ResolveWriter}). Tuples
 * are grouped by record, so one task owns each record: changes to one record from any client and
 * any spout task are resolved against each other in the order they arrive here, and versions
 * count up without gaps or doubles.
 *
 * <p>Group commit ({@link GroupCommitBolt}): a writer thread takes whatever queued up while the
 * previous batch was being written (up to {@code topology.igniteBatchSize}), decides and writes
 * it in one transaction, and only then acks the batch and tells the sequencer each change is
 * decided. An Ignite error fails the whole batch (the spout answers its
 * pushes 503) and tells the sequencer the changes were released, so the client's retry is
 * admitted at once; the later changes of those pushes that reach this task are failed too.
 *
 * <p>A change whose push was already answered is not decided: the spout answers a push 503 at
 * its deadline at the latest, when it emitted the push's first change (the spout's clock) +
 * {@code http.requestTimeoutMs}, which the tuple carries ({@code answeredAt}), so from then on (by this worker's clock) the change is failed without being
 * decided and released at the sequencer, as in a failed batch; the client's retry decides it.
 * This is checked when the change would wait for room in the queue and again when its batch is
 * taken; the number skipped is the counter {@value #ANSWERED_COUNTER} and one log line per batch.
 * Clock skew between the spout's and this worker's hosts moves the cut: a resolver clock ahead
 * by d skips changes whose push still had up to d to go (their push gets 503, the retry decides
 * them), one behind by d decides changes whose push was answered up to d ago (wasted work; the
 * retry gets {@code duplicate}). Either way nothing is applied twice or lost.
 */
public class ResolveBolt extends GroupCommitBolt {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ResolveBolt.class);
    /** Metrics v2 counter, per task: changes not decided because their push was already answered. */
    public static final String ANSWERED_COUNTER = "idbsync.resolve.answered";
    /** Metrics v2 counters, per task and {@code status} (applied, conflict, rejected): changes decided (each once). */
    public static final String CHANGES_COUNTER = "idbsync.resolve.changes";
    /** Metrics v2 counters, per task and {@code code}: changes decided {@code rejected}, by their error's code. */
    public static final String REJECTED_COUNTER = "idbsync.resolve.rejected";
    /** Metrics v2 counter, per task: batches decided again because their Ignite transaction met a concurrent write. */
    public static final String RETRIES_COUNTER = "idbsync.resolve.tx.retries";
    /** Metrics v2 counter, per task: changes decided before and delivered to the sinks again (redeliveries). */
    public static final String REDELIVERED_COUNTER = "idbsync.resolve.redelivered";
    /** Feed positions the retention sweep removed ({@link FeedRetention}). */
    public static final String RETENTION_REMOVED_COUNTER = "idbsync.retention.positions.removed";
    /** Expired tombstones the retention sweep removed. */
    public static final String RETENTION_TOMBSTONES_COUNTER = "idbsync.retention.tombstones.removed";

    private final SyncConfig config;
    private final IgniteClientFactory igniteFactory;

    private transient IgniteClient ignite;
    private transient ResolveWriter writer;
    /** This task's partition first, then the logs of removed tasks it adopted ({@link FeedRetention#partitionsOf}). */
    private transient List<FeedRetention> retention;
    private transient com.codahale.metrics.Counter retentionRemoved;
    private transient com.codahale.metrics.Counter retentionTombstones;
    /**
     * Pushes a failed batch held changes of, touched only by the writer thread. Their later
     * changes that reach this task are failed without being decided: a change must not be applied
     * when an earlier change of its push, possibly to the same record, was not.
     */
    private transient Map<String, Boolean> failedPushes;
    private transient LongSupplier clock;
    private transient com.codahale.metrics.Counter answered;
    private transient Map<Status, com.codahale.metrics.Counter> byStatus;
    private transient Metrics.Labelled rejectedByCode;
    private transient com.codahale.metrics.Counter redelivered;

    public ResolveBolt(SyncConfig config, IgniteClientFactory igniteFactory) {
        this.config = config;
        this.igniteFactory = igniteFactory;
    }

    @Override
    protected int maxBatch() {
        return config.topology().igniteBatchSize();
    }

    @Override
    protected String threadName(TopologyContext context) {
        return "idbsync-resolve-" + context.getThisTaskIndex();
    }

    /** When the change's push has surely been answered: its receive time + {@code http.requestTimeoutMs}. */
    @Override
    protected long answeredAt(Tuple t) {
        return Admitted.of(t).answeredAt();
    }

    /** A change that waited for room until its push was answered: failed and released, not decided. */
    @Override
    protected void shed(Tuple t) {
        answered.inc();
        finish(List.of(t), false);
    }

    @Override
    protected void open(Map<String, Object> topoConf, TopologyContext context) {
        clock = System::currentTimeMillis;
        answered = context.registerCounter(ANSWERED_COUNTER);
        Metrics metrics = Metrics.of(context);
        byStatus = new java.util.EnumMap<>(Status.class);
        for (Status s : List.of(Status.APPLIED, Status.CONFLICT, Status.REJECTED)) {
            byStatus.put(s, metrics.counter(PrometheusText.name(CHANGES_COUNTER, "status", s.wire())));
        }
        rejectedByCode = metrics.labelled(REJECTED_COUNTER, "code");
        redelivered = metrics.counter(REDELIVERED_COUNTER);
        retentionRemoved = metrics.counter(RETENTION_REMOVED_COUNTER);
        retentionTombstones = metrics.counter(RETENTION_TOMBSTONES_COUNTER);
        com.codahale.metrics.Counter retries = metrics.counter(RETRIES_COUNTER);
        ignite = igniteFactory.create();
        SyncCaches caches = new SyncCaches(ignite, config.ignite());
        writer = new ResolveWriter(config, caches, System::currentTimeMillis, context.getThisTaskIndex());
        writer.onRetry(retries::inc);
        writer.createCaches();
        retention = new java.util.ArrayList<>();
        for (int p : FeedRetention.partitionsOf(context.getThisTaskIndex(), config.topology().resolveParallelism())) {
            FeedRetention r = new FeedRetention(config, caches, p, System::currentTimeMillis);
            r.onRecordsRemoved(writer.recordCache()::forget);
            retention.add(r);
        }
        failedPushes = new LinkedHashMap<>(256, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > 10_000;
            }
        };
    }

    /**
     * Between batches, on the writer thread (the only one that writes this task's feed logs, and
     * the logs of removed tasks it adopted): retention.
     */
    @Override
    protected void idle() {
        for (FeedRetention r : retention) {
            FeedRetention.Swept swept = r.maybeSweep();
            if (swept != null) {
                retentionRemoved.inc(swept.removedPositions());
                retentionTombstones.inc(swept.tombstones());
            }
        }
    }

    @Override
    protected void stopWriter() {
        if (ignite != null) {
            try {
                ignite.close();
            } catch (Exception e) {
                LOG.warn("closing the Ignite client failed", e);
            }
        }
    }

    @Override
    public void declareOutputFields(OutputFieldsDeclarer declarer) {
        declarer.declareStream(DECIDED_STREAM, Decided.FIELDS);
        declarer.declareStream(RESOLVED_STREAM, Resolved.FIELDS);
        declarer.declareStream(REJECTED_LOG_STREAM, RejectedEntry.FIELDS);
    }

    @Override
    protected void process(List<Tuple> batch) {
        List<Tuple> refused = new ArrayList<>();
        batch.removeIf(t -> failedPushes.containsKey(Admitted.of(t).push()) && refused.add(t));
        // Answered already (the spout's deadline passed): deciding it would only cost Ignite work
        // for a push the client will send again. Its later changes have the same receive time.
        long now = clock.getAsLong();
        List<Tuple> late = new ArrayList<>();
        batch.removeIf(t -> now >= answeredAt(t) && late.add(t));
        if (!late.isEmpty()) {
            answered.inc(late.size());
            LOG.info("{} of {} changes were not decided: their push was answered before this batch was taken"
                    + " (received over http.requestTimeoutMs = {} ms ago); they are released for the client's retry",
                    late.size(), late.size() + batch.size() + refused.size(), config.http().requestTimeoutMs());
        }
        boolean ok = batch.isEmpty() || write(batch);
        if (!ok) {
            batch.forEach(t -> failedPushes.put(Admitted.of(t).push(), Boolean.TRUE));
        }
        synchronized (collector) {
            finish(batch, ok);
            finish(refused, false);
            finish(late, false);
        }
    }

    /** Acks or fails tuples and tells the sequencer; the caller holds the collector's lock. */
    @Override
    protected void finish(List<Tuple> tuples, boolean ok) {
        for (Tuple t : tuples) {
            Admitted a = Admitted.of(t);
            if (a.redeliver()) {
                if (ok) {
                    collector.ack(t);
                } else {
                    collector.fail(t);
                }
                continue; // the sequencer knows it is decided
            }
            // Unanchored: a lost notice only delays the sequencer until its in-flight timeout.
            collector.emit(DECIDED_STREAM, a.decided(ok).values());
            if (ok) {
                collector.ack(t);
            } else {
                collector.fail(t);
            }
        }
    }

    /** Each change once, when it is decided; a redelivery only as one. */
    private void count(ResolveWriter.Emitted em) {
        if (em.again()) {
            redelivered.inc();
        } else if (em.event() != null && byStatus.containsKey(em.event().status())) {
            byStatus.get(em.event().status()).inc();
        } else if (em.rejectedEntry() != null) {
            byStatus.get(Status.REJECTED).inc();
            rejectedByCode.of(em.rejectedEntry().path("error").path("code").asText("unknown")).inc();
        }
    }

    @Override
    protected boolean write(List<Tuple> batch) {
        List<ResolveWriter.Item> items = new ArrayList<>(batch.size());
        for (Tuple t : batch) {
            Admitted a = Admitted.of(t);
            items.add(new ResolveWriter.Item(a.change(), a.push(), a.rejected(), a.redeliver()));
        }
        try {
            List<ResolveWriter.Emitted> events = writer.write(items);
            synchronized (collector) {
                for (int i = 0; i < batch.size(); i++) {
                    ResolveWriter.Emitted em = events.get(i);
                    if (em == null) {
                        continue;
                    }
                    // Anchored: the push is answered only once every sink after Ignite has it.
                    // answeredAt: the deadline of the push that sent it (a retry's for a redelivery).
                    long answeredAt = answeredAt(batch.get(i));
                    count(em);
                    if (em.event() != null) {
                        collector.emit(RESOLVED_STREAM, batch.get(i), new Resolved(em.event(), em.again(), answeredAt).values());
                    }
                    if (em.rejectedEntry() != null) {
                        collector.emit(REJECTED_LOG_STREAM, batch.get(i),
                                new RejectedEntry(em.rejectedEntry(), em.again(), answeredAt).values());
                    }
                }
            }
            LOG.debug("decided {} changes", batch.size());
            return true;
        } catch (RuntimeException e) {
            LOG.warn("deciding {} changes failed in Ignite; failing them (their pushes get 503): {}", batch.size(),
                    e.toString());
            return false;
        } catch (Error e) {
            // Keep the writer thread alive; only the batch is lost (its pushes get 503).
            LOG.error("deciding {} changes failed; failing them (their pushes get 503)", batch.size(), e);
            return false;
        }
    }
}
