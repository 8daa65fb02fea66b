package dev.idbsync.storm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.storm.Config;
import org.apache.storm.task.OutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.base.BaseRichBolt;
import org.apache.storm.tuple.Tuple;
import org.apache.storm.utils.ObjectReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bolt that writes in batches with group commit: {@code execute} only queues the tuple; one
 * writer thread takes whatever queued up while the previous batch was being written (up to
 * {@link #maxBatch()}), writes it durably, and only then acks the batch (or fails it). Used by
 * the resolver (Ignite), the Flume bridge and the file sink.
 *
 * <p>Bounds: the queue holds at most {@link #queueCapacity()} tuples (twice the batch size), so a
 * task holds at most capacity + one batch (the one being written); the gauge
 * {@value #HELD_GAUGE} reports that number and {@value #BOUND_GAUGE} the bound. When the queue is
 * full, {@code execute} waits for room, which keeps Storm's executor thread from taking more
 * tuples, so its receive queue fills and Storm's backpressure reaches the spout. The wait is
 * bounded by the moment the tuple's push has surely been answered ({@link #answeredAt}); a tuple
 * still without room then is {@linkplain #shed shed} (failed) at once. The bound is there for
 * the sequencer-resolver cycle: Storm never blocks an emit, it parks a tuple whose target queue
 * is full in the emitting executor's pending emits and stops that executor from taking tuples
 * until they are flushed, so the cycle locks if the resolver's and the sequencer's receive
 * queues are both full at once (each one's pending emits waiting on the other). The writer
 * thread only emits, so it never waits on the sequencer and the queue always drains; and no
 * task waits on a tuple whose push was answered, so the tuples of timed-out trees, which
 * {@code topology.maxSpoutPending} no longer counts, leave the receive queues at the executor's
 * speed. What this does and does not rule out is in docs/architecture.md, "Bounds".
 *
 * <p>Threads: the writer thread is the only one that touches the subclass's clients or files.
 * The collector is used by the writer thread and, to shed a tuple, by the executor thread; both
 * hold its lock while they do (Storm's collectors are not thread-safe). The writer is not
 * interrupted at shutdown, since an interrupted thread's file channels close; it polls every
 * 100 ms, sees the stop and calls {@link #stopWriter()} before it ends.
 */
public abstract class GroupCommitBolt extends BaseRichBolt {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitBolt.class);
    /** Metrics v2 gauge, per task: tuples held (queued plus the batch being written). */
    public static final String HELD_GAUGE = "idbsync.groupcommit.held";
    /** Metrics v2 gauge, per task: the most tuples the task can hold, {@link #queueCapacity()} + {@link #maxBatch()}. */
    public static final String BOUND_GAUGE = "idbsync.groupcommit.bound";
    /** Metrics v2 counter, per task: tuples shed because the queue stayed full until their push was answered. */
    public static final String SHED_COUNTER = "idbsync.groupcommit.shed";
    /** Metrics v2 histogram, per task: tuples per batch written. */
    public static final String BATCH_HISTOGRAM = "idbsync.groupcommit.batch.size";
    /** Metrics v2 timer, per task: how long writing a batch took (the resolver's Ignite commit, an appendBatch, a sync). */
    public static final String COMMIT_TIMER = "idbsync.groupcommit.commit";

    protected transient OutputCollector collector;
    private transient ArrayBlockingQueue<Tuple> queue;
    private transient Thread writerThread;
    private transient volatile boolean running;
    private transient volatile int inBatch;
    private transient AtomicLong shedSinceLog;
    private transient com.codahale.metrics.Counter shedCounter;
    private transient com.codahale.metrics.Histogram batchSizes;
    private transient com.codahale.metrics.Timer commits;
    /** How long a tuple waits for room when {@link #answeredAt} does not know: the message timeout. */
    private transient long defaultWaitMs;

    /** Most tuples per batch. */
    protected abstract int maxBatch();

    /** Tuples the queue holds at most; twice the batch size: one batch filling while one is written. */
    protected int queueCapacity() {
        return 2 * maxBatch();
    }

    /** Opens what the writer uses; runs in {@code prepare}, before the writer thread starts. */
    protected abstract void open(Map<String, Object> topoConf, TopologyContext context);

    /** Writes a batch durably; false (never an exception) when it could not. On the writer thread. */
    protected abstract boolean write(List<Tuple> batch);

    /** The writer thread's name. */
    protected abstract String threadName(TopologyContext context);

    /**
     * When (epoch ms, this worker's clock) the tuple's push has surely been answered, or
     * {@link Long#MAX_VALUE} when this bolt cannot tell; then the message timeout after the tuple
     * arrived is used. {@code execute} waits for room in the queue up to then.
     */
    protected long answeredAt(Tuple t) {
        return Long.MAX_VALUE;
    }

    /**
     * A tuple that found the queue full until its push was answered: fails it. On the executor
     * thread, with the collector's lock held.
     */
    protected void shed(Tuple t) {
        finish(List.of(t), false);
    }

    /** Writes a batch and acks or fails it; a subclass may split a batch first. */
    protected void process(List<Tuple> batch) {
        boolean ok = write(batch);
        synchronized (collector) {
            finish(batch, ok);
        }
    }

    /** Acks or fails the tuples; called with the collector's lock held. */
    protected void finish(List<Tuple> tuples, boolean ok) {
        for (Tuple t : tuples) {
            if (ok) {
                collector.ack(t);
            } else {
                collector.fail(t);
            }
        }
    }

    /** Registers a subclass's metrics v2; runs in {@code prepare}, before {@link #open}. */
    protected void prepareMetrics(TopologyContext context) {
    }

    /** Called on the writer thread between batches, at least every 100 ms (rolls, timers). */
    protected void idle() {
    }

    /** Called on the writer thread when it stops: commit, close. */
    protected void stopWriter() {
    }

    /** Tuples held now: queued, plus the batch being written. */
    public final int held() {
        ArrayBlockingQueue<Tuple> q = queue;
        return (q == null ? 0 : q.size()) + inBatch;
    }

    /**
     * Refuses Storm's producer batching ({@code topology.producer.batch.size} above 1): Storm
     * flushes an executor's batches on that executor's thread only, when a flush tuple comes,
     * while this bolt emits and acks from its writer thread, so the batches would be filled and
     * flushed by two threads at once. Measured with the local run: pushes stalled until their
     * timeout (docs/performance.md). Checked here, at prepare, because the setting can also come
     * from the cluster's {@code storm.yaml} or {@code storm jar -c}, which the config file's check
     * does not see.
     */
    public static void requireNoProducerBatching(Map<String, Object> topoConf) {
        Object v = topoConf.get(Config.TOPOLOGY_PRODUCER_BATCH_SIZE);
        if (v != null && ObjectReader.getInt(v, 1) != 1) {
            throw new IllegalStateException(Config.TOPOLOGY_PRODUCER_BATCH_SIZE + " is " + v
                    + "; idbsync needs 1 (Storm's default): its group-commit bolts emit and ack from their"
                    + " writer threads, and Storm flushes producer batches on the executor's thread only."
                    + " Remove it from topology.storm, the cluster's storm.yaml or storm jar's -c options");
        }
    }

    @Override
    public final void prepare(Map<String, Object> topoConf, TopologyContext context, OutputCollector collector) {
        requireNoProducerBatching(topoConf);
        this.collector = collector;
        queue = new ArrayBlockingQueue<>(queueCapacity());
        shedSinceLog = new AtomicLong();
        defaultWaitMs = 1000L * ObjectReader.getInt(topoConf.get(Config.TOPOLOGY_MESSAGE_TIMEOUT_SECS), 30);
        int bound = queueCapacity() + maxBatch();
        context.registerGauge(HELD_GAUGE, this::held);
        context.registerGauge(BOUND_GAUGE, () -> bound);
        shedCounter = context.registerCounter(SHED_COUNTER);
        batchSizes = context.registerHistogram(BATCH_HISTOGRAM);
        commits = context.registerTimer(COMMIT_TIMER);
        prepareMetrics(context);
        open(topoConf, context);
        running = true;
        writerThread = new Thread(this::writeLoop, threadName(context));
        writerThread.setDaemon(true);
        writerThread.start();
    }

    /**
     * Queues the tuple; while the queue is full, waits for room (so Storm's backpressure engages),
     * but not past the moment the tuple's push was answered: then the tuple is shed.
     */
    @Override
    public final void execute(Tuple input) {
        if (TupleContract.isProbe(input)) {
            synchronized (collector) {
                collector.ack(input);
            }
            return;
        }
        if (queue.offer(input)) {
            return;
        }
        long now = System.currentTimeMillis();
        long deadline = answeredAt(input);
        if (deadline == Long.MAX_VALUE) {
            deadline = now + defaultWaitMs;
        }
        try {
            while (running && now < deadline) {
                if (queue.offer(input, Math.min(100, deadline - now), TimeUnit.MILLISECONDS)) {
                    return;
                }
                now = System.currentTimeMillis();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        shedCounter.inc();
        shedSinceLog.incrementAndGet();
        synchronized (collector) {
            shed(input);
        }
    }

    @Override
    public void cleanup() {
        running = false;
        if (writerThread != null) {
            try {
                writerThread.join(15_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void writeLoop() {
        int max = maxBatch();
        List<Tuple> batch = new ArrayList<>(max);
        try {
            while (running) {
                Tuple first;
                try {
                    first = queue.poll(100, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    break;
                }
                if (first != null) {
                    batch.add(first);
                    queue.drainTo(batch, max - 1);
                    inBatch = batch.size();
                    batchSizes.update(batch.size());
                    try (com.codahale.metrics.Timer.Context timing = commits.time()) {
                        process(batch);
                    } catch (RuntimeException | Error e) {
                        // a bug in process(): the batch is failed, the writer goes on
                        LOG.error("{}: a batch of {} tuples could not be processed; failing it", threadName0(), batch.size(), e);
                        synchronized (collector) {
                            batch.forEach(collector::fail);
                        }
                    }
                    batch.clear();
                    inBatch = 0;
                }
                long shed = shedSinceLog.getAndSet(0);
                if (shed > 0) {
                    LOG.warn("{}: {} tuples found the queue full ({} tuples) until their push was answered; failed them",
                            threadName0(), shed, queue.remainingCapacity() + queue.size());
                }
                idle();
            }
        } finally {
            stopWriter();
        }
    }

    private String threadName0() {
        return Thread.currentThread().getName();
    }
}
