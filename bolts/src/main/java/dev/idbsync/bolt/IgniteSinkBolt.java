package dev.idbsync.bolt;

import static dev.idbsync.common.storm.TupleContract.CHANGE;
import static dev.idbsync.common.storm.TupleContract.REJECTED_STREAM;
import static dev.idbsync.common.storm.TupleContract.RESULT;

import dev.idbsync.common.ignite.IgniteClientFactory;
import dev.idbsync.common.ignite.Outcomes;
import dev.idbsync.common.ignite.StoredRecord;
import dev.idbsync.common.ignite.SyncCaches;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Result;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.apache.ignite.client.ClientCache;
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
 * batch. An Ignite error fails the whole batch, so Storm replays it and the push answers 503.
 * The writer thread is the only user of the collector, and it holds the collector's lock while
 * it does (Storm's collectors are not thread-safe).
 *
 * <p>Until conflict resolution lands, a put overwrites and each accepted write adds 1 to the
 * record's version. A replay of a change that already wrote the record (the record still
 * carries its clientId and seq) keeps the version it got the first time.
 */
public class IgniteSinkBolt extends BaseRichBolt {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(IgniteSinkBolt.class);

    private final SyncConfig config;
    private final IgniteClientFactory igniteFactory;

    private transient OutputCollector collector;
    private transient IgniteClient ignite;
    private transient SyncCaches caches;
    private transient LinkedBlockingQueue<Tuple> queue;
    private transient Thread writer;
    private transient volatile boolean running;
    private transient LongSupplier clock;

    public IgniteSinkBolt(SyncConfig config, IgniteClientFactory igniteFactory) {
        this.config = config;
        this.igniteFactory = igniteFactory;
    }

    @Override
    public void prepare(Map<String, Object> topoConf, TopologyContext context, OutputCollector collector) {
        this.collector = collector;
        this.clock = System::currentTimeMillis;
        ignite = igniteFactory.create();
        caches = new SyncCaches(ignite, config.ignite());
        queue = new LinkedBlockingQueue<>();
        running = true;
        writer = new Thread(this::writeLoop, "idbsync-ignite-sink-" + context.getThisTaskIndex());
        writer.setDaemon(true);
        writer.start();
    }

    @Override
    public void execute(Tuple input) {
        queue.add(input);
    }

    @Override
    public void cleanup() {
        running = false;
        if (writer != null) {
            writer.interrupt();
            try {
                writer.join(5000);
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

    /** Writes a batch; false when Ignite refused it (the batch is then failed and replayed). */
    boolean write(List<Tuple> batch) {
        try {
            long now = clock.getAsLong();
            Map<String, String> outcomes = new LinkedHashMap<>();
            // store -> the changes to it, in arrival order
            Map<StoreConfig, List<Change>> byStore = new LinkedHashMap<>();
            for (Tuple t : batch) {
                Change c = (Change) t.getValueByField(CHANGE);
                if (REJECTED_STREAM.equals(t.getSourceStreamId())) {
                    outcomes.put(Outcomes.key(c), Outcomes.toJson((Result) t.getValueByField(RESULT)));
                } else {
                    byStore.computeIfAbsent(config.store(c.db(), c.store()), s -> new ArrayList<>()).add(c);
                }
            }
            for (Map.Entry<StoreConfig, List<Change>> e : byStore.entrySet()) {
                writeStore(e.getKey(), e.getValue(), now, outcomes);
            }
            if (!outcomes.isEmpty()) {
                caches.outcomes().putAll(outcomes);
            }
            LOG.debug("wrote {} changes to Ignite", batch.size());
            return true;
        } catch (RuntimeException e) {
            LOG.warn("writing {} changes to Ignite failed; failing them so Storm replays them: {}", batch.size(),
                    e.toString());
            return false;
        }
    }

    private void writeStore(StoreConfig store, List<Change> changes, long now, Map<String, String> outcomes) {
        ClientCache<String, String> cache = caches.records(store);
        Set<String> keys = new HashSet<>();
        for (Change c : changes) {
            keys.add(c.keyString());
        }
        Map<String, String> current = new HashMap<>(cache.getAll(keys));
        Map<String, String> updates = new LinkedHashMap<>();
        for (Change c : changes) {
            String json = current.get(c.keyString());
            StoredRecord prev = json == null ? null : StoredRecord.fromJson(json);
            long version;
            if (prev != null && prev.clientId().equals(c.clientId()) && prev.seq() == c.seq()) {
                version = prev.version(); // a replay of the write that made this version
            } else {
                version = (prev == null ? 0 : prev.version()) + 1;
                StoredRecord next = new StoredRecord(c.db(), c.store(), c.key(), c.op(), c.value(), version,
                        c.clientId(), c.seq(), c.correctedTs(), now);
                String nextJson = next.toJson();
                current.put(c.keyString(), nextJson);
                updates.put(c.keyString(), nextJson);
            }
            outcomes.put(Outcomes.key(c), Outcomes.toJson(Result.applied(c.seq(), version)));
        }
        if (!updates.isEmpty()) {
            cache.putAll(updates);
        }
    }
}
