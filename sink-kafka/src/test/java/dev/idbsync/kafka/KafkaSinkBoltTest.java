package dev.idbsync.kafka;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.config.KafkaConfig;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.SinkEvent;
import dev.idbsync.protocol.Status;
import dev.idbsync.storm.SinkBolt;
import dev.idbsync.storm.TupleContract;
import dev.idbsync.storm.TupleContract.Resolved;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.storm.Config;
import org.apache.storm.task.GeneralTopologyContext;
import org.apache.storm.task.IOutputCollector;
import org.apache.storm.task.OutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.tuple.Tuple;
import org.apache.storm.tuple.TupleImpl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The sink acks a batch's tuples only when the brokers acknowledged every record of it; a send
 * that throws or a record the brokers did not acknowledge fails the whole batch, and the next
 * batch goes through a new producer. Kafka's MockProducer and a fake collector, no broker.
 */
class KafkaSinkBoltTest {
    private static final GeneralTopologyContext SOURCE = new GeneralTopologyContext(null, new HashMap<>(), Map.of(1, "resolve"),
            Map.of("resolve", List.of(1)), Map.of("resolve", Map.of(TupleContract.RESOLVED_STREAM, Resolved.FIELDS)), "t");
    private static final KafkaConfig CONFIG = KafkaConfig.builder().enabled(true).bootstrapServers(List.of("127.0.0.1:1"))
            .topic("idbsync.{db}.changes").build();

    private final List<MockProducer<byte[], byte[]>> producers = new CopyOnWriteArrayList<>();
    /** Producers still to be made whose flush reports every pending record as not acknowledged. */
    private final AtomicInteger unacknowledging = new AtomicInteger();
    /** Producers still to be made whose send throws (no metadata within max.block.ms). */
    private final AtomicInteger throwing = new AtomicInteger();
    private final List<Tuple> acked = new CopyOnWriteArrayList<>();
    private final List<Tuple> failed = new CopyOnWriteArrayList<>();
    private final Map<String, Counter> counters = new java.util.concurrent.ConcurrentHashMap<>();
    private KafkaSinkBolt bolt;

    @AfterEach
    void stop() {
        if (bolt != null) {
            bolt.cleanup();
        }
    }

    @Test
    void eachTupleIsItsRecordAndTheBatchIsAckedOnceTheBrokersAcknowledgedIt() throws Exception {
        prepare();
        Tuple a = tuple(1, false);
        Tuple b = tuple(2, true);
        bolt.execute(a);
        bolt.execute(b);
        await(() -> acked.size() == 2);
        assertEquals(List.of(a, b), acked);
        List<ProducerRecord<byte[], byte[]>> sent = producers.get(0).history();
        assertEquals(2, sent.size());
        ProducerRecord<byte[], byte[]> expected = KafkaRecords.change(CONFIG, Resolved.of(a).event());
        assertEquals(expected.topic(), sent.get(0).topic());
        assertArrayEquals(expected.key(), sent.get(0).key());
        assertArrayEquals(expected.value(), sent.get(0).value());
        assertEquals(expected.headers(), sent.get(0).headers());
        assertTrue(producers.get(0).flushed(), "the records completed (autoComplete off: only by the flush) before the ack");
        assertEquals(2L, count(SinkBolt.WRITTEN_COUNTER));
        assertEquals(1L, count(SinkBolt.REDELIVERED_COUNTER));
    }

    @Test
    void aRecordTheBrokersDidNotAcknowledgeFailsItsBatchAndTheNextGoesThroughANewProducer() throws Exception {
        unacknowledging.set(1);
        prepare();
        Tuple a = tuple(1, false);
        bolt.execute(a);
        await(() -> failed.size() == 1);
        assertEquals(List.of(a), failed, "its push gets 503; the client's retry sends it again");
        assertTrue(producers.get(0).closed(), "the failed producer is closed");
        Tuple b = tuple(2, false);
        bolt.execute(b);
        await(() -> acked.size() == 1);
        assertEquals(List.of(b), acked);
        assertEquals(2, producers.size());
        assertEquals(1L, count(SinkBolt.FAILED_COUNTER));
        assertEquals(1L, count(SinkBolt.WRITTEN_COUNTER));
    }

    @Test
    void aSendThatFindsNoBrokerFailsTheBatch() throws Exception {
        throwing.set(1);
        prepare();
        Tuple a = tuple(1, false);
        bolt.execute(a);
        await(() -> failed.size() == 1);
        assertEquals(List.of(), acked);
        Tuple b = tuple(2, false);
        bolt.execute(b);
        await(() -> acked.size() == 1);
        assertEquals(List.of(b), acked);
    }

    @Test
    void cleanupClosesTheProducer() throws Exception {
        prepare();
        bolt.execute(tuple(1, false));
        await(() -> acked.size() == 1);
        bolt.cleanup();
        bolt = null;
        assertTrue(producers.get(0).closed());
    }

    private void prepare() {
        bolt = new KafkaSinkBolt(CONFIG, new KafkaClientFactory(CONFIG) {
            private static final long serialVersionUID = 1L;

            @Override
            public Producer<byte[], byte[]> producer() {
                boolean unacked = unacknowledging.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
                MockProducer<byte[], byte[]> p = new MockProducer<>(false, null, new ByteArraySerializer(),
                        new ByteArraySerializer()) {
                    @Override
                    public synchronized void flush() {
                        if (unacked) {
                            while (errorNext(new TimeoutException("Expiring 1 record(s) for idbsync.notes-app.changes-0:"
                                    + " 10000 ms has passed since batch creation"))) {
                                // every pending record
                            }
                        }
                        super.flush();
                    }
                };
                if (throwing.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    p.sendException = new TimeoutException("Topic idbsync.notes-app.changes not present in metadata after 10000 ms.");
                }
                producers.add(p);
                return p;
            }
        });
        Map<String, Object> conf = new HashMap<>();
        conf.put(Config.TOPOLOGY_MESSAGE_TIMEOUT_SECS, 30);
        TopologyContext context = new TopologyContext(null, conf, Map.of(), Map.of(), Map.of(), Map.of(), "t", null, null,
                1, 6700, List.of(1), Map.of(), Map.of(), new HashMap<>(), new HashMap<>(), null, null) {
            @Override
            public <T> Gauge<T> registerGauge(String name, Gauge<T> gauge) {
                return gauge;
            }

            @Override
            public Counter registerCounter(String name) {
                return counters.computeIfAbsent(name, n -> new Counter());
            }

            @Override
            public com.codahale.metrics.Timer registerTimer(String name) {
                return new com.codahale.metrics.Timer();
            }

            @Override
            public com.codahale.metrics.Histogram registerHistogram(String name) {
                return new com.codahale.metrics.Histogram(new com.codahale.metrics.UniformReservoir());
            }

            @Override
            public int getThisTaskIndex() {
                return 0;
            }
        };
        bolt.prepare(conf, context, new OutputCollector(new IOutputCollector() {
            @Override
            public List<Integer> emit(String streamId, Collection<Tuple> anchors, List<Object> tuple) {
                throw new AssertionError("a sink emits nothing");
            }

            @Override
            public void emitDirect(int taskId, String streamId, Collection<Tuple> anchors, List<Object> tuple) {
                throw new AssertionError("a sink emits nothing");
            }

            @Override
            public void ack(Tuple input) {
                acked.add(input);
            }

            @Override
            public void fail(Tuple input) {
                failed.add(input);
            }

            @Override
            public void resetTimeout(Tuple input) {
            }

            @Override
            public void flush() {
            }

            @Override
            public void reportError(Throwable error) {
            }
        }));
    }

    private long count(String counter) {
        Counter c = counters.get(counter);
        return c == null ? 0 : c.getCount();
    }

    /** A resolved tuple as the resolver emits it, through TupleContract. */
    private static Tuple tuple(long seq, boolean redeliver) {
        SinkEvent e = new SinkEvent("notes-app/c-1/" + seq, "notes-app", "notes", TextNode.valueOf("n-" + seq),
                "\"n-" + seq + "\"", Op.PUT, Json.MAPPER.createObjectNode().put("title", "t" + seq), seq, "c-1", seq,
                1_000, 2_000, Status.APPLIED, null, null, null);
        return new TupleImpl(SOURCE, new Resolved(e, redeliver, System.currentTimeMillis() + 30_000).values(), "resolve", 1,
                TupleContract.RESOLVED_STREAM);
    }

    private static void await(BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(done.getAsBoolean(), "timed out");
    }
}
