package dev.idbsync.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.ignite.RejectedLog;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.SinkEvent;
import dev.idbsync.protocol.Status;
import dev.idbsync.storm.TupleContract;
import dev.idbsync.storm.TupleContract.Admitted;
import dev.idbsync.storm.TupleContract.Checked;
import dev.idbsync.storm.TupleContract.Decided;
import dev.idbsync.storm.TupleContract.RejectedEntry;
import dev.idbsync.storm.TupleContract.Received;
import dev.idbsync.storm.TupleContract.Resolved;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.storm.serialization.KryoValuesDeserializer;
import org.apache.storm.serialization.KryoValuesSerializer;
import org.apache.storm.task.GeneralTopologyContext;
import org.apache.storm.tuple.Fields;
import org.apache.storm.tuple.Tuple;
import org.apache.storm.tuple.TupleImpl;
import org.apache.storm.utils.Utils;
import org.junit.jupiter.api.Test;

/**
 * Every stream's tuple crosses workers with the topology's own Kryo settings (its registrations,
 * Java serialization off) and reads back as the record it was made from; the rejected-changes log
 * entry keeps its exact text, which is the file sink's line.
 */
class TupleSerializationTest {
    private static final SyncConfig LOCAL = ConfigLoader.load(Path.of("../conf/local.yaml"));
    private static final String PLAIN = "{\"title\":\"t\",\"n\":3,\"tags\":[\"a\",\"b\"],\"done\":false}";
    /** Numbers and strings whose JSON text a careless round trip would change. */
    private static final String TRICKY = "{\"a\":1e2,\"b\":1.50,\"c\":-0,\"d\":123456789012345678901234567890,"
            + "\"e\":0.1,\"f\":\"\\u2028 \\u00e9 \\ud83d\\ude00 \\\" \\\\ \\n\",\"g\":[1.0E-7,-0.0,1E+400],\"h\":null,"
            + "\"i\":true,\"j\":-12.3400e-5,\"k\":{}}";

    private final Map<String, Object> conf = workerConf();

    /**
     * Read back, each record prints as the one sent. Its trees are compared as JSON text, not as
     * nodes: a tree does not always read back as equal nodes (a long 1 comes back as an int 1, a
     * decimal that prints as 0 as the integer 0), as for every Change that crosses workers today;
     * the text is what is stored and written, and must not change.
     */
    @Test
    void everyStreamsTupleCrossesWorkersAndReadsBackAsItsRecord() throws Exception {
        everyStreamCrossesWorkers(change(PLAIN));
    }

    @Test
    void withAwkwardNumbersAndStringsEveryStreamsTupleReadsBackAsTheSameText() throws Exception {
        everyStreamCrossesWorkers(change(TRICKY));
    }

    private void everyStreamCrossesWorkers(Change c) {
        Result rejected = Result.rejected(1, new ChangeError("schema", "/value/a", "must be a string"));
        SinkEvent e = new SinkEvent(c.eventId(), c.db(), c.store(), c.key(), c.keyString(), Op.PUT, c.value(), 2,
                c.clientId(), c.seq(), c.ts(), 5_000, Status.CONFLICT, "lww", Op.PUT, c.value());
        List<Object> sent = new ArrayList<>();
        List<Object> read = new ArrayList<>();

        Received received = new Received(c, "push-1", 9_000L);
        sent.add(received);
        read.add(Received.of(overTheWire(TupleContract.CHANGES_STREAM, Received.FIELDS, received.values())));
        for (Checked checked : List.of(received.checked(rejected), received.checked(null))) {
            sent.add(checked);
            read.add(Checked.of(overTheWire(TupleContract.CHECKED_STREAM, Checked.FIELDS, checked.values())));
        }
        Admitted admitted = received.checked(rejected).admitted(true);
        sent.add(admitted);
        read.add(Admitted.of(overTheWire(TupleContract.ADMITTED_STREAM, Admitted.FIELDS, admitted.values())));
        Decided decided = admitted.decided(false);
        sent.add(decided);
        read.add(Decided.of(overTheWire(TupleContract.DECIDED_STREAM, Decided.FIELDS, decided.values())));
        Resolved resolved = new Resolved(e, false, 9_000L);
        sent.add(resolved);
        read.add(Resolved.of(overTheWire(TupleContract.RESOLVED_STREAM, Resolved.FIELDS, resolved.values())));
        RejectedEntry entry = new RejectedEntry(RejectedLog.entry(c, rejected.error(), 5_000, 100_000), true, 9_000L);
        sent.add(entry);
        read.add(RejectedEntry.of(overTheWire(TupleContract.REJECTED_LOG_STREAM, RejectedEntry.FIELDS, entry.values())));

        for (int i = 0; i < sent.size(); i++) {
            assertEquals(sent.get(i).getClass(), read.get(i).getClass());
            assertEquals(sent.get(i).toString(), read.get(i).toString());
        }
    }

    @Test
    void theRejectedEntrysTextIsTheSameOnEitherSideOfTheWire() throws Exception {
        // As in a cluster: the change crossed two workers before the resolver made its entry.
        Change sent = change(TRICKY);
        Change atResolver = Received.of(overTheWire(TupleContract.CHANGES_STREAM, Received.FIELDS,
                new Received(sent, "p", 1L).values())).change();
        for (Change c : List.of(sent, atResolver)) {
            ObjectNode entry = RejectedLog.entry(c, new ChangeError("schema", null, "no"), 5_000, 100_000);
            String stored = entry.toString(); // what the resolver writes to idbsync_rejected
            RejectedEntry back = RejectedEntry.of(overTheWire(TupleContract.REJECTED_LOG_STREAM, RejectedEntry.FIELDS,
                    new RejectedEntry(entry, false, 1L).values()));
            assertEquals(stored, back.entry().toString(), "the file sink's line is the stored entry");
        }
        assertEquals(sent.value().toString(), atResolver.value().toString());
    }

    @Test
    void aValueTheTopologyDoesNotRegisterIsRefusedNotJavaSerialized() {
        List<Object> values = new ArrayList<>(List.of("db", new java.util.concurrent.atomic.AtomicLong(1)));
        assertThrows(RuntimeException.class, () -> new KryoValuesSerializer(conf).serialize(values));
    }

    private Tuple overTheWire(String stream, Fields fields, List<Object> values) {
        byte[] bytes = new KryoValuesSerializer(conf).serialize(values);
        List<Object> read = new KryoValuesDeserializer(conf).deserialize(bytes);
        Map<String, Map<String, Fields>> declared = Map.of("src", Map.of(stream, fields));
        GeneralTopologyContext context = new GeneralTopologyContext(null, conf, Map.of(1, "src"),
                Map.of("src", List.of(1)), declared, "test-topology");
        return new TupleImpl(context, read, "src", 1, stream);
    }

    private static Map<String, Object> workerConf() {
        Map<String, Object> c = new HashMap<>(Utils.readDefaultConfig());
        c.putAll(SyncTopology.stormConfig(LOCAL));
        return c;
    }

    private static Change change(String valueJson) throws Exception {
        // parsed as the spout parses a push: with the one Jackson configuration
        ObjectNode value = (ObjectNode) Json.MAPPER.readTree(valueJson);
        JsonNode key = Json.MAPPER.readTree("[1.50, \"k\"]");
        return new Change("notes-app", "c-1", 1, "notes", key, "[1.5,\"k\"]", Op.PUT, value, 0, 1_000, List.of("a"),
                1_000, 1_000);
    }
}
