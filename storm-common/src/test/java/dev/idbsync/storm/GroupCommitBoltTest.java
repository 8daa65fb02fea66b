package dev.idbsync.storm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import java.lang.reflect.Proxy;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.storm.Config;
import org.apache.storm.task.IOutputCollector;
import org.apache.storm.task.OutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.tuple.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The group-commit queue is bounded, execute() blocks at the bound, and the wait ends when the push was answered. */
class GroupCommitBoltTest {
    private static final int BATCH = 5;
    private SlowBolt bolt;

    @AfterEach
    void stop() {
        if (bolt != null) {
            bolt.release.countDown();
            bolt.cleanup();
        }
    }

    @Test
    void withASlowWriterExecuteBlocksAtTheBoundAndNothingIsLostOrShed() throws Exception {
        bolt = new SlowBolt(Long.MAX_VALUE);
        Fakes f = Fakes.prepare(bolt, 30);
        AtomicInteger returned = new AtomicInteger();
        int total = 60;
        Thread executor = new Thread(() -> {
            for (int i = 0; i < total; i++) {
                bolt.execute(Fakes.tuple(i));
                returned.incrementAndGet();
            }
        }, "test-executor");
        executor.start();
        // The writer is stuck on its first batch: the queue fills, then execute() must block.
        int bound = 2 * BATCH + BATCH;
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        int maxHeld = 0;
        while (System.nanoTime() < until) {
            maxHeld = Math.max(maxHeld, bolt.held());
            Thread.sleep(5);
        }
        assertTrue(returned.get() <= bound, "execute() returned " + returned.get() + " times while the writer was stuck;"
                + " at most capacity + one batch (" + bound + ") may be taken");
        assertTrue(returned.get() >= 2 * BATCH, "the queue (capacity " + 2 * BATCH + ") filled: " + returned.get());
        assertTrue(executor.isAlive(), "execute() blocks while the queue is full");
        assertTrue(maxHeld <= bound, "held " + maxHeld + " > bound " + bound);
        assertEquals(bound, ((Number) f.gauges.get(GroupCommitBolt.BOUND_GAUGE).getValue()).intValue());
        assertEquals(bolt.held(), ((Number) f.gauges.get(GroupCommitBolt.HELD_GAUGE).getValue()).intValue());

        bolt.release.countDown();
        executor.join(10_000);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (f.acked.size() < total && System.nanoTime() < deadline) {
            maxHeld = Math.max(maxHeld, bolt.held());
            Thread.sleep(5);
        }
        assertEquals(total, f.acked.size(), "every tuple written and acked once the writer went on");
        assertEquals(0, f.failed.size(), "nothing shed while the writer was slow but the pushes were open");
        assertTrue(maxHeld <= bound, "held " + maxHeld + " > bound " + bound);
        assertTrue(bolt.maxBatchSeen <= BATCH);
    }

    @Test
    void aTupleThatFindsTheQueueFullUntilItsPushWasAnsweredIsFailedNotQueued() throws Exception {
        long answeredAt = System.currentTimeMillis() + 700;
        bolt = new SlowBolt(answeredAt);
        Fakes f = Fakes.prepare(bolt, 30);
        fill();
        long t0 = System.nanoTime();
        Tuple late = Fakes.tuple(99);
        bolt.execute(late);
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(waitedMs >= 300 && waitedMs < 5_000, "waited for room until the push was answered: " + waitedMs + " ms");
        assertEquals(List.of(late), f.failed, "the late tuple is failed");
        assertEquals(1, f.counters.get(GroupCommitBolt.SHED_COUNTER).getCount());
        bolt.release.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (f.acked.size() < 1 + 2 * BATCH && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(1 + 2 * BATCH, f.acked.size(), "the queued tuples are still written");
        assertTrue(!f.acked.contains(late));
    }

    @Test
    void withoutADeadlineTheWaitEndsAfterTheMessageTimeout() throws Exception {
        bolt = new SlowBolt(Long.MAX_VALUE);
        Fakes f = Fakes.prepare(bolt, 1);
        fill();
        long t0 = System.nanoTime();
        bolt.execute(Fakes.tuple(99));
        long waitedMs = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(waitedMs >= 900 && waitedMs < 5_000, "waited one message timeout (1 s): " + waitedMs + " ms");
        assertEquals(1, f.failed.size());
    }

    @Test
    void stormsProducerBatchingIsRefusedAtPrepareWhereverItWasSet() {
        bolt = new SlowBolt(Long.MAX_VALUE);
        Map<String, Object> conf = Map.of(Config.TOPOLOGY_PRODUCER_BATCH_SIZE, 10);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> bolt.prepare(conf, null, null));
        assertTrue(e.getMessage().startsWith("topology.producer.batch.size is 10; idbsync needs 1"), e.getMessage());
        assertEquals(0, bolt.held(), "no queue, no writer thread");
        GroupCommitBolt.requireNoProducerBatching(Map.of(Config.TOPOLOGY_PRODUCER_BATCH_SIZE, 1));
        GroupCommitBolt.requireNoProducerBatching(Map.of());
    }

    /** The writer holds a batch of one tuple; then the queue is filled to its capacity. */
    private void fill() throws InterruptedException {
        bolt.execute(Fakes.tuple(0));
        assertTrue(bolt.taken.await(5, TimeUnit.SECONDS));
        for (int i = 1; i <= 2 * BATCH; i++) {
            bolt.execute(Fakes.tuple(i));
        }
        assertEquals(1 + 2 * BATCH, bolt.held());
    }

    @Test
    void aProbeIsAckedAtOnceAndNeverWrittenEvenWhenTheQueueIsFull() throws Exception {
        bolt = new SlowBolt(Long.MAX_VALUE);
        Fakes f = Fakes.prepare(bolt, 30);
        bolt.execute(Fakes.tuple(0));
        assertTrue(bolt.taken.await(5, TimeUnit.SECONDS));
        for (int i = 1; i <= 2 * BATCH; i++) {
            bolt.execute(Fakes.tuple(i)); // the queue is full now, the writer stuck
        }
        Tuple probe = Fakes.tuple(-1, TupleContract.PROBE_STREAM);
        bolt.execute(probe);
        assertEquals(List.of(probe), f.acked);
        assertEquals(1 + 2 * BATCH, bolt.held(), "the probe took no room");
    }

    /** A writer that holds its first batch until released. */
    static final class SlowBolt extends GroupCommitBolt {
        final CountDownLatch release = new CountDownLatch(1);
        final CountDownLatch taken = new CountDownLatch(1);
        final long answeredAt;
        volatile int maxBatchSeen;

        SlowBolt(long answeredAt) {
            this.answeredAt = answeredAt;
        }

        @Override
        protected int maxBatch() {
            return BATCH;
        }

        @Override
        protected void open(Map<String, Object> topoConf, TopologyContext context) {
        }

        @Override
        protected boolean write(List<Tuple> batch) {
            maxBatchSeen = Math.max(maxBatchSeen, batch.size());
            taken.countDown();
            try {
                release.await(20, TimeUnit.SECONDS);
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return true;
        }

        @Override
        protected long answeredAt(Tuple t) {
            return answeredAt;
        }

        @Override
        protected String threadName(TopologyContext context) {
            return "test-writer";
        }

        @Override
        public void declareOutputFields(OutputFieldsDeclarer declarer) {
        }
    }

    /** A collector that records acks and fails, and a context that keeps the registered metrics. */
    static final class Fakes {
        final List<Tuple> acked = new CopyOnWriteArrayList<>();
        final List<Tuple> failed = new CopyOnWriteArrayList<>();
        final Map<String, Gauge<?>> gauges = new HashMap<>();
        final Map<String, Counter> counters = new HashMap<>();

        static Fakes prepare(GroupCommitBolt bolt, int messageTimeoutSecs) {
            Fakes f = new Fakes();
            Map<String, Object> conf = new HashMap<>();
            conf.put(Config.TOPOLOGY_MESSAGE_TIMEOUT_SECS, messageTimeoutSecs);
            TopologyContext context = new TopologyContext(null, conf, Map.of(), Map.of(), Map.of(), Map.of(), "t", null, null,
                    1, 6700, List.of(1), Map.of(), Map.of(), new HashMap<>(), new HashMap<>(), null, null) {
                @Override
                public com.codahale.metrics.Timer registerTimer(String name) {
                    return new com.codahale.metrics.Timer();
                }

                @Override
                public com.codahale.metrics.Histogram registerHistogram(String name) {
                    return new com.codahale.metrics.Histogram(new com.codahale.metrics.UniformReservoir());
                }

                @Override
                public <T> Gauge<T> registerGauge(String name, Gauge<T> gauge) {
                    f.gauges.put(name, gauge);
                    return gauge;
                }

                @Override
                public Counter registerCounter(String name) {
                    return f.counters.computeIfAbsent(name, n -> new Counter());
                }

                @Override
                public int getThisTaskIndex() {
                    return 0;
                }
            };
            bolt.prepare(conf, context, new OutputCollector(new IOutputCollector() {
                @Override
                public List<Integer> emit(String streamId, Collection<Tuple> anchors, List<Object> tuple) {
                    return List.of();
                }

                @Override
                public void emitDirect(int taskId, String streamId, Collection<Tuple> anchors, List<Object> tuple) {
                }

                @Override
                public void ack(Tuple input) {
                    f.acked.add(input);
                }

                @Override
                public void fail(Tuple input) {
                    f.failed.add(input);
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
            return f;
        }

        static Tuple tuple(int n) {
            return tuple(n, TupleContract.RESOLVED_STREAM);
        }

        static Tuple tuple(int n, String stream) {
            return (Tuple) Proxy.newProxyInstance(Tuple.class.getClassLoader(), new Class<?>[] {Tuple.class},
                    (p, m, args) -> switch (m.getName()) {
                        case "getSourceStreamId" -> stream;
                        case "toString" -> "tuple-" + n;
                        case "hashCode" -> n;
                        case "equals" -> p == args[0];
                        default -> throw new UnsupportedOperationException(m.getName());
                    });
        }
    }
}
