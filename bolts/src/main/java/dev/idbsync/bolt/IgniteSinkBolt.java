package dev.idbsync.bolt;

import static dev.idbsync.common.storm.TupleContract.CHANGE;
import static dev.idbsync.common.storm.TupleContract.REJECTED_STREAM;
import static dev.idbsync.common.storm.TupleContract.RESULT;

import dev.idbsync.common.ignite.IgniteClientFactory;
import dev.idbsync.common.ignite.SyncCaches;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Result;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.ignite.client.IgniteClient;
import org.apache.storm.task.OutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.topology.base.BaseRichBolt;
import org.apache.storm.tuple.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes each change to its store's Ignite cache and its outcome to the outcomes cache, then
 * acks it. Tuples are grouped by record, so one task owns each record and its versions.
 *
 * <p>Group commit: {@code execute} only queues the tuple; a writer thread takes whatever has
 * queued up while the previous batch was being written (up to {@code topology.igniteBatchSize}),
 * writes it with one {@code getAll} and one {@code putAll} per cache, and only then acks the
 * batch. An Ignite error fails the whole batch: the spout answers the push 503 and the client
 * retries it (the spout does not replay failed tuples itself).
 * The writer thread is the only user of the collector, and it holds the collector's lock while
 * it does (Storm's collectors are not thread-safe).
 *
 * <p>What is written is {@link IgniteRecordWriter}'s business.
 */
public class IgniteSinkBolt extends BaseRichBolt {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(IgniteSinkBolt.class);

    private final SyncConfig config;
    private final IgniteClientFactory igniteFactory;

    private transient OutputCollector collector;
    private transient IgniteClient ignite;
    private transient IgniteRecordWriter writer;
    private transient LinkedBlockingQueue<Tuple> queue;
    private transient Thread writerThread;
    private transient volatile boolean running;

    public IgniteSinkBolt(SyncConfig config, IgniteClientFactory igniteFactory) {
        this.config = config;
        this.igniteFactory = igniteFactory;
    }

    @Override
    public void prepare(Map<String, Object> topoConf, TopologyContext context, OutputCollector collector) {
        this.collector = collector;
        ignite = igniteFactory.create();
        writer = new IgniteRecordWriter(config, new SyncCaches(ignite, config.ignite()), System::currentTimeMillis);
        queue = new LinkedBlockingQueue<>();
        running = true;
        writerThread = new Thread(this::writeLoop, "idbsync-ignite-sink-" + context.getThisTaskIndex());
        writerThread.setDaemon(true);
        writerThread.start();
    }

    @Override
    public void execute(Tuple input) {
        queue.add(input);
    }

    @Override
    public void cleanup() {
        running = false;
        if (writerThread != null) {
            writerThread.interrupt();
            try {
                writerThread.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
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
        // a sink: nothing goes further
    }

    private void writeLoop() {
        int max = config.topology().igniteBatchSize();
        List<Tuple> batch = new ArrayList<>(max);
        while (running) {
            try {
                Tuple first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, max - 1);
                boolean ok = write(batch);
                synchronized (collector) {
                    for (Tuple t : batch) {
                        if (ok) {
                            collector.ack(t);
                        } else {
                            collector.fail(t);
                        }
                    }
                }
                batch.clear();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Writes a batch; false when Ignite refused it (the batch's tuples are then failed). */
    private boolean write(List<Tuple> batch) {
        List<IgniteRecordWriter.Item> items = new ArrayList<>(batch.size());
        for (Tuple t : batch) {
            items.add(new IgniteRecordWriter.Item((Change) t.getValueByField(CHANGE),
                    REJECTED_STREAM.equals(t.getSourceStreamId()) ? (Result) t.getValueByField(RESULT) : null));
        }
        try {
            writer.write(items);
            LOG.debug("wrote {} changes to Ignite", batch.size());
            return true;
        } catch (RuntimeException e) {
            LOG.warn("writing {} changes to Ignite failed; failing them (the push gets 503): {}", batch.size(),
                    e.toString());
            return false;
        }
    }
}
