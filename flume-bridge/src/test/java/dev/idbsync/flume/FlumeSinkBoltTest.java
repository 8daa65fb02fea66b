package dev.idbsync.flume;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.config.FlumeConfig;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.SinkEvent;
import dev.idbsync.protocol.Status;
import dev.idbsync.storm.GroupCommitBolt;
import dev.idbsync.storm.SinkBolt;
import dev.idbsync.storm.TupleContract;
import dev.idbsync.storm.TupleContract.Resolved;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.flume.Event;
import org.apache.flume.EventDeliveryException;
import org.apache.flume.FlumeException;
import org.apache.flume.api.RpcClient;
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
 * The bridge sends a batch with one {@code appendBatch} and acks its tuples only after it
 * returned; a failed batch fails all of its tuples and the client is made again; nothing is
 * retried by the bridge itself. A fake RpcClient and a fake collector, no agent.
 */
class FlumeSinkBoltTest {
    private static final GeneralTopologyContext SOURCE = new GeneralTopologyContext(null, new HashMap<>(), Map.of(1, "resolve"),
            Map.of("resolve", List.of(1)), Map.of("resolve", Map.of(TupleContract.RESOLVED_STREAM, Resolved.FIELDS)), "t");

    private final List<FakeClient> clients = new CopyOnWriteArrayList<>();
    /** Failures the factory throws before it makes the next client (no agent reachable). */
    private final AtomicInteger createFailures = new AtomicInteger();
    /** appendBatch calls that throw, counted down by each. */
    private final AtomicInteger appendFailures = new AtomicInteger();
    /** appendBatch waits on this until released: a slow agent. */
    private final CountDownLatch release = new CountDownLatch(1);
    private final Semaphore appendEntered = new Semaphore(0);
    private final List<Tuple> acked = new CopyOnWriteArrayList<>();
    private final List<Tuple> failed = new CopyOnWriteArrayList<>();
    private final Map<String, Counter> counters = new java.util.concurrent.ConcurrentHashMap<>();
    private FlumeSinkBolt bolt;

    @AfterEach
    void stop() {
        release.countDown();
        if (bolt != null) {
            bolt.cleanup();
        }
    }

    @Test
    void aBatchGoesInOneAppendBatchAndIsAckedOnlyAfterItReturned() throws Exception {
        prepare(100);
        Tuple first = tuple(1, false);
        bolt.execute(first);
        assertTrue(appendEntered.tryAcquire(5, TimeUnit.SECONDS), "the first batch is being sent");
        List<Tuple> queued = List.of(tuple(2, false), tuple(3, false), tuple(4, false));
        queued.forEach(bolt::execute);
        Thread.sleep(200);
        assertEquals(List.of(), acked, "nothing is acked while the agent has not answered");

        release.countDown();
        await(() -> acked.size() == 4);
        assertEquals(List.of(List.of("notes-app/c-1/1"), List.of("notes-app/c-1/2", "notes-app/c-1/3", "notes-app/c-1/4")),
                clients.get(0).eventIds(), "what queued while a batch was in flight goes in the next one, in order");
        assertEquals(List.of(first, queued.get(0), queued.get(1), queued.get(2)), acked);
        assertEquals(List.of(), failed);
        assertEquals(1, clients.size());
        assertEquals(4L, count(SinkBolt.WRITTEN_COUNTER));
        assertEquals(0L, count(SinkBolt.FAILED_COUNTER));
    }

    @Test
    void eachEventIsTheResolvedChangeAsFlumeEventsMakesIt() throws Exception {
        release.countDown();
        prepare(100);
        Tuple t = tuple(7, false);
        bolt.execute(t);
        await(() -> acked.size() == 1);
        Event sent = clients.get(0).batches.get(0).get(0);
        Event expected = FlumeEvents.of(Resolved.of(t).event());
        assertEquals(expected.getHeaders(), sent.getHeaders());
        assertEquals(new String(expected.getBody()), new String(sent.getBody()));
    }

    @Test
    void noBatchIsLargerThanFlumeBatchSize() throws Exception {
        prepare(2);
        bolt.execute(tuple(1, false));
        assertTrue(appendEntered.tryAcquire(5, TimeUnit.SECONDS));
        for (int seq = 2; seq <= 5; seq++) { // the queue holds two batches
            bolt.execute(tuple(seq, false));
        }
        release.countDown();
        await(() -> acked.size() == 5);
        List<Integer> sizes = new ArrayList<>();
        clients.get(0).batches.forEach(b -> sizes.add(b.size()));
        assertEquals(List.of(1, 2, 2), sizes);
    }

    @Test
    void aFailedAppendFailsTheWholeBatchAndTheNextBatchGoesThroughANewClient() throws Exception {
        prepare(100);
        appendFailures.set(1);
        Tuple a = tuple(1, false);
        bolt.execute(a);
        assertTrue(appendEntered.tryAcquire(5, TimeUnit.SECONDS));
        Tuple b = tuple(2, false);
        Tuple c = tuple(3, false);
        bolt.execute(b);
        bolt.execute(c);
        release.countDown();
        await(() -> failed.size() == 1 && acked.size() == 2);
        assertEquals(List.of(a), failed, "the failed batch's tuple fails (its push gets 503), and only it");
        assertEquals(List.of(b, c), acked);
        assertEquals(2, clients.size(), "the client is made again after a failure");
        assertTrue(clients.get(0).closed, "the failed client is closed");
        assertEquals(1L, count(SinkBolt.FAILED_COUNTER));
        assertEquals(2L, count(SinkBolt.WRITTEN_COUNTER));
    }

    @Test
    void whenNoAgentCanBeReachedTheBatchFailsAndTheNextOneTriesAgain() throws Exception {
        release.countDown();
        prepare(100);
        createFailures.set(1);
        Tuple a = tuple(1, false);
        bolt.execute(a);
        await(() -> failed.size() == 1);
        assertEquals(List.of(a), failed);
        assertEquals(0, clients.size());
        Tuple b = tuple(2, false);
        bolt.execute(b);
        await(() -> acked.size() == 1);
        assertEquals(List.of(b), acked);
        assertEquals(1L, count(SinkBolt.FAILED_COUNTER));
    }

    @Test
    void anInactiveClientIsClosedAndMadeAgainBeforeTheNextBatch() throws Exception {
        release.countDown();
        prepare(100);
        bolt.execute(tuple(1, false));
        await(() -> acked.size() == 1);
        clients.get(0).active = false;
        bolt.execute(tuple(2, false));
        await(() -> acked.size() == 2);
        assertEquals(2, clients.size());
        assertTrue(clients.get(0).closed);
        assertEquals(List.of(List.of("notes-app/c-1/2")), clients.get(1).eventIds());
    }

    @Test
    void eventsOfChangesDecidedBeforeAreSentAndCountedAsRedelivered() throws Exception {
        release.countDown();
        prepare(100);
        bolt.execute(tuple(1, true));
        bolt.execute(tuple(2, false));
        bolt.execute(tuple(3, true));
        await(() -> acked.size() == 3);
        assertEquals(3L, count(SinkBolt.WRITTEN_COUNTER));
        assertEquals(2L, count(SinkBolt.REDELIVERED_COUNTER));
    }

    @Test
    void aTupleThatFindsTheQueueFullAfterItsPushWasAnsweredIsFailedAtOnce() throws Exception {
        prepare(2);
        bolt.execute(tuple(1, false));
        assertTrue(appendEntered.tryAcquire(5, TimeUnit.SECONDS));
        for (int seq = 2; seq <= 5; seq++) {
            bolt.execute(tuple(seq, false)); // fills the queue (two batches)
        }
        Tuple late = tuple(6, false, System.currentTimeMillis() - 1);
        long t0 = System.nanoTime();
        bolt.execute(late);
        assertTrue(System.nanoTime() - t0 < TimeUnit.SECONDS.toNanos(1), "no wait: its answeredAt has passed");
        assertEquals(List.of(late), failed);
        assertEquals(1, counters.get(GroupCommitBolt.SHED_COUNTER).getCount());
        release.countDown();
        await(() -> acked.size() == 5);
        assertTrue(clients.get(0).eventIds().stream().flatMap(List::stream).noneMatch("notes-app/c-1/6"::equals));
    }

    @Test
    void cleanupClosesTheClient() throws Exception {
        release.countDown();
        prepare(100);
        bolt.execute(tuple(1, false));
        await(() -> acked.size() == 1);
        bolt.cleanup();
        bolt = null;
        assertTrue(clients.get(0).closed);
    }

    private void prepare(int batchSize) {
        FlumeConfig config = FlumeConfig.builder().enabled(true).agents(List.of("127.0.0.1:1")).batchSize(batchSize).build();
        bolt = new FlumeSinkBolt(config, new FlumeClientFactory(config) {
            private static final long serialVersionUID = 1L;

            @Override
            public RpcClient create() {
                if (createFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    throw new FlumeException("NettyAvroRpcClient { host: 127.0.0.1, port: 1 }: RPC connection error");
                }
                FakeClient c = new FakeClient();
                clients.add(c);
                return c;
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

    private long count(String metric) {
        Counter c = counters.get(metric);
        return c == null ? 0 : c.getCount();
    }

    private static Tuple tuple(long seq, boolean redeliver) {
        return tuple(seq, redeliver, System.currentTimeMillis() + 30_000);
    }

    /** A resolved tuple as the resolver emits it, through TupleContract. */
    private static Tuple tuple(long seq, boolean redeliver, long answeredAt) {
        SinkEvent e = new SinkEvent("notes-app/c-1/" + seq, "notes-app", "notes", TextNode.valueOf("n-" + seq),
                "\"n-" + seq + "\"", Op.PUT, Json.MAPPER.createObjectNode().put("title", "t" + seq), seq, "c-1", seq,
                1_000, 2_000, Status.APPLIED, null, null, null);
        return new TupleImpl(SOURCE, new Resolved(e, redeliver, answeredAt).values(), "resolve", 1,
                TupleContract.RESOLVED_STREAM);
    }

    private static void await(BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertTrue(done.getAsBoolean(), "timed out");
    }

    /** Flume's RpcClient without an agent: records each batch; can be slow, fail, or go inactive. */
    private final class FakeClient implements RpcClient {
        final List<List<Event>> batches = new CopyOnWriteArrayList<>();
        volatile boolean active = true;
        volatile boolean closed;

        @Override
        public int getBatchSize() {
            return 100;
        }

        @Override
        public void append(Event event) throws EventDeliveryException {
            appendBatch(List.of(event));
        }

        @Override
        public void appendBatch(List<Event> events) throws EventDeliveryException {
            appendEntered.release();
            try {
                release.await(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (appendFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new EventDeliveryException("Failed to send events: the agent's channel is full");
            }
            batches.add(List.copyOf(events));
        }

        @Override
        public boolean isActive() {
            return active && !closed;
        }

        @Override
        public void close() {
            closed = true;
        }

        List<List<String>> eventIds() {
            List<List<String>> ids = new ArrayList<>();
            for (List<Event> b : batches) {
                ids.add(b.stream().map(ev -> ev.getHeaders().get("eventId")).toList());
            }
            return ids;
        }
    }
}
