package dev.idbsync.bolt;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.ignite.IgniteClientFactory;
import dev.idbsync.storm.TupleContract;
import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.apache.ignite.client.IgniteClient;
import org.apache.storm.Config;
import org.apache.storm.task.IOutputCollector;
import org.apache.storm.task.OutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.tuple.Tuple;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A change whose push was already answered (past the deadline its tuple carries) is not decided:
 * no Ignite call, its tuple fails and the sequencer is told it was released.
 */
class ResolveBoltTest {
    private final List<String> igniteCalls = new CopyOnWriteArrayList<>();
    private final List<Tuple> acked = new CopyOnWriteArrayList<>();
    private final List<Tuple> failed = new CopyOnWriteArrayList<>();
    private final List<List<Object>> decided = new CopyOnWriteArrayList<>();
    private final Map<String, Counter> counters = new HashMap<>();
    private ResolveBolt bolt;

    @AfterEach
    void stop() {
        if (bolt != null) {
            bolt.cleanup();
        }
    }

    @Test
    void aChangeWhosePushWasAnsweredIsReleasedWithoutTouchingIgnite() throws Exception {
        SyncConfig config = ConfigLoader.load(Path.of("..", "conf", "local.yaml").toAbsolutePath().normalize());
        prepare(config);
        long timeout = config.http().requestTimeoutMs();
        long now = System.currentTimeMillis();
        Tuple late = tuple(change("c-late", 1, now - 2000), "push-late", now - 1);
        bolt.execute(late);
        await(() -> failed.contains(late));
        assertEquals(List.of(late), failed);
        assertEquals(List.of(), acked);
        assertEquals(List.of(List.of("notes-app", "c-late", 1L, "push-late", false)), decided,
                "the sequencer is told the change was released, as for a failed batch");
        assertFalse(igniteCalls.stream().anyMatch(c -> !c.equals("getOrCreateCache") && !c.equals("close")),
                "no Ignite work for an answered push: " + igniteCalls);
        assertEquals(1, counters.get(ResolveBolt.ANSWERED_COUNTER).getCount());

        // An open push goes on to Ignite (here a fake that fails, so the batch fails: it was tried),
        // even one received longer than the timeout ago: it waited in the spout (while a worker
        // was down) and its deadline counts from when it was emitted.
        Tuple fresh = tuple(change("c-fresh", 1, now - timeout - 1000), "push-fresh", now + timeout);
        bolt.execute(fresh);
        await(() -> failed.contains(fresh));
        assertTrue(igniteCalls.stream().anyMatch(c -> !c.equals("getOrCreateCache")),
                "the open push's change was decided against Ignite: " + igniteCalls);
        assertEquals(1, counters.get(ResolveBolt.ANSWERED_COUNTER).getCount());
    }

    private void prepare(SyncConfig config) {
        IgniteClient ignite = (IgniteClient) Proxy.newProxyInstance(IgniteClient.class.getClassLoader(),
                new Class<?>[] {IgniteClient.class}, (p, m, args) -> {
                    igniteCalls.add(m.getName());
                    return switch (m.getName()) {
                        case "toString" -> "fake-ignite";
                        case "hashCode" -> 1;
                        case "equals" -> p == args[0];
                        default -> null;
                    };
                });
        bolt = new ResolveBolt(config, (IgniteClientFactory) () -> ignite);
        Map<String, Object> conf = new HashMap<>();
        conf.put(Config.TOPOLOGY_MESSAGE_TIMEOUT_SECS, 30);
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
                return gauge;
            }

            @Override
            public Counter registerCounter(String name) {
                return counters.computeIfAbsent(name, n -> new Counter());
            }

            @Override
            public int getThisTaskIndex() {
                return 0;
            }
        };
        bolt.prepare(conf, context, new OutputCollector(new IOutputCollector() {
            @Override
            public List<Integer> emit(String streamId, Collection<Tuple> anchors, List<Object> tuple) {
                if (TupleContract.DECIDED_STREAM.equals(streamId)) {
                    decided.add(new ArrayList<>(tuple));
                }
                return List.of();
            }

            @Override
            public void emitDirect(int taskId, String streamId, Collection<Tuple> anchors, List<Object> tuple) {
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

    private static Change change(String client, long seq, long receivedAt) {
        return new Change("notes-app", client, seq, "notes", TextNode.valueOf("k-" + client), "\"k-" + client + "\"", Op.PUT,
                Json.MAPPER.createObjectNode().put("title", "t"), 0, receivedAt, null, receivedAt, receivedAt);
    }

    private static Tuple tuple(Change c, String push, long answeredAt) {
        Map<String, Object> fields = new HashMap<>();
        fields.put(TupleContract.ANSWERED_AT, answeredAt);
        fields.put(TupleContract.CHANGE, c);
        fields.put(TupleContract.PUSH, push);
        fields.put(TupleContract.RESULT, null);
        fields.put(TupleContract.REDELIVER, false);
        return (Tuple) Proxy.newProxyInstance(Tuple.class.getClassLoader(), new Class<?>[] {Tuple.class}, (p, m, args) ->
                switch (m.getName()) {
                    case "getValueByField", "getStringByField", "getBooleanByField", "getLongByField" -> fields.get((String) args[0]);
                    case "getSourceStreamId" -> TupleContract.ADMITTED_STREAM;
                    case "toString" -> "tuple " + c.eventId();
                    case "hashCode" -> System.identityHashCode(p);
                    case "equals" -> p == args[0];
                    default -> throw new UnsupportedOperationException(m.getName());
                });
    }

    private static void await(java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(done.getAsBoolean(), "timed out");
    }
}
