package dev.idbsync.common.storm;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.storm.task.OutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.base.BaseRichBolt;
import org.apache.storm.tuple.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bolt that writes in batches with group commit: {@code execute} only queues the tuple; one
 * writer thread takes whatever queued up while the previous batch was being written (up to
 * {@link #maxBatch()}), writes it durably, and only then acks the batch (or fails it). Used by
 * the resolver (Ignite), the Flume bridge and the file sink.
 *
 * <p>Threads: the writer thread is the only one that touches the subclass's clients or files,
 * and the only user of the collector, which it holds the lock of while it does (Storm's
 * collectors are not thread-safe). The writer is not interrupted at shutdown, since an
 * interrupted thread's file channels close; it polls every 100 ms, sees the stop and calls
 * {@link #stopWriter()} before it ends.
 */
public abstract class GroupCommitBolt extends BaseRichBolt {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(GroupCommitBolt.class);

    protected transient OutputCollector collector;
    private transient LinkedBlockingQueue<Tuple> queue;
    private transient Thread writerThread;
    private transient volatile boolean running;

    /** Most tuples per batch. */
    protected abstract int maxBatch();

    /** Opens what the writer uses; runs in {@code prepare}, before the writer thread starts. */
    protected abstract void open(Map<String, Object> topoConf, TopologyContext context);

    /** Writes a batch durably; false (never an exception) when it could not. On the writer thread. */
    protected abstract boolean write(List<Tuple> batch);

    /** The writer thread's name. */
    protected abstract String threadName(TopologyContext context);

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

    /** Called on the writer thread between batches, at least every 100 ms (rolls, timers). */
    protected void idle() {
    }

    /** Called on the writer thread when it stops: commit, close. */
    protected void stopWriter() {
    }

    @Override
    public final void prepare(Map<String, Object> topoConf, TopologyContext context, OutputCollector collector) {
        this.collector = collector;
        queue = new LinkedBlockingQueue<>();
        open(topoConf, context);
        running = true;
        writerThread = new Thread(this::writeLoop, threadName(context));
        writerThread.setDaemon(true);
        writerThread.start();
    }

    @Override
    public final void execute(Tuple input) {
        queue.add(input);
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
                    try {
                        process(batch);
                    } catch (RuntimeException | Error e) {
                        // a bug in process(): the batch is failed, the writer goes on
                        LOG.error("{}: a batch of {} tuples could not be processed; failing it", threadName0(), batch.size(), e);
                        synchronized (collector) {
                            batch.forEach(collector::fail);
                        }
                    }
                    batch.clear();
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
