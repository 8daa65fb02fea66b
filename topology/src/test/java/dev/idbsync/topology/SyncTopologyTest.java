package dev.idbsync.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.storm.TupleContract;
import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Result;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.storm.Config;
import org.apache.storm.generated.GlobalStreamId;
import org.apache.storm.generated.Grouping;
import org.apache.storm.generated.StormTopology;
import org.junit.jupiter.api.Test;

/** The wiring, checked without running it. */
class SyncTopologyTest {
    private static final SyncConfig LOCAL = ConfigLoader.load(Path.of("../conf/local.yaml"));

    @Test
    void aClientsChangesStayInOrderToTheSequencerAndARecordsChangesMeetInOneResolver() {
        StormTopology t = SyncTopology.build(LOCAL);
        List<String> byClient = List.of(TupleContract.DB, TupleContract.CLIENT_ID);
        List<String> byRecord = List.of(TupleContract.DB, TupleContract.STORE, TupleContract.KEY);

        GlobalStreamId probes = new GlobalStreamId(SyncTopology.SPOUT, TupleContract.PROBE_STREAM);
        Grouping direct = Grouping.direct(new org.apache.storm.generated.NullStruct());

        assertEquals(List.of(SyncTopology.SPOUT), List.copyOf(t.get_spouts().keySet()));
        assertEquals(Map.of(new GlobalStreamId(SyncTopology.SPOUT, TupleContract.CHANGES_STREAM), Grouping.fields(byClient),
                        probes, direct),
                t.get_bolts().get(SyncTopology.VALIDATE).get_common().get_inputs());
        assertEquals(Map.of(
                        new GlobalStreamId(SyncTopology.VALIDATE, TupleContract.CHECKED_STREAM), Grouping.fields(byClient),
                        new GlobalStreamId(SyncTopology.RESOLVE, TupleContract.DECIDED_STREAM), Grouping.fields(byClient),
                        probes, direct),
                t.get_bolts().get(SyncTopology.SEQUENCE).get_common().get_inputs(),
                "the sequencer owns each client: its changes and the resolver's notices about them");
        assertEquals(Map.of(new GlobalStreamId(SyncTopology.SEQUENCE, TupleContract.ADMITTED_STREAM), Grouping.fields(byRecord),
                        probes, direct),
                t.get_bolts().get(SyncTopology.RESOLVE).get_common().get_inputs());
    }

    @Test
    void everyBoltTakesTheSpoutsProbesSoThatEveryWorkerCanBeProbed() {
        StormTopology t = SyncTopology.build(LOCAL);
        GlobalStreamId probes = new GlobalStreamId(SyncTopology.SPOUT, TupleContract.PROBE_STREAM);
        assertTrue(t.get_spouts().get(SyncTopology.SPOUT).get_common().get_streams().get(TupleContract.PROBE_STREAM).is_direct());
        t.get_bolts().forEach((name, bolt) -> assertTrue(bolt.get_common().get_inputs().containsKey(probes), name));
    }

    @Test
    void parallelismComesFromTheConfig() {
        SyncConfig c = LOCAL.toBuilder().topology(LOCAL.topology().toBuilder()
                .spoutParallelism(2).validateParallelism(3).sequenceParallelism(4).resolveParallelism(5).build()).build();
        StormTopology t = SyncTopology.build(c);
        assertEquals(2, t.get_spouts().get(SyncTopology.SPOUT).get_common().get_parallelism_hint());
        assertEquals(3, t.get_bolts().get(SyncTopology.VALIDATE).get_common().get_parallelism_hint());
        assertEquals(4, t.get_bolts().get(SyncTopology.SEQUENCE).get_common().get_parallelism_hint());
        assertEquals(5, t.get_bolts().get(SyncTopology.RESOLVE).get_common().get_parallelism_hint());
    }

    @Test
    void aCustomPolicyThatCannotBeLoadedStopsTheBuildNamingTheClass() {
        SyncConfig bad = LOCAL.toBuilder().stores(List.of(new StoreConfig("notes-app", "notes", null, null,
                "custom:com.example.NoSuchPolicy", null))).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SyncTopology.build(bad));
        assertTrue(e.getMessage().contains("com.example.NoSuchPolicy"), e.getMessage());
    }

    @Test
    void stormSettingsComeFromTheConfigAndTheUsersStormMapWins() {
        Config conf = SyncTopology.stormConfig(LOCAL.toBuilder().topology(LOCAL.topology().toBuilder()
                .maxSpoutPending(1234).messageTimeoutSecs(17).workers(3)
                .stormConfig(Map.of(Config.TOPOLOGY_WORKER_CHILDOPTS, "-Xmx2g", Config.TOPOLOGY_WORKERS, 5)).build()).build());
        assertEquals(1234, conf.get(Config.TOPOLOGY_MAX_SPOUT_PENDING));
        assertEquals(17, conf.get(Config.TOPOLOGY_MESSAGE_TIMEOUT_SECS));
        assertEquals(5, conf.get(Config.TOPOLOGY_WORKERS));
        assertEquals("-Xmx2g", conf.get(Config.TOPOLOGY_WORKER_CHILDOPTS));
        assertFalse((Boolean) conf.get(Config.TOPOLOGY_FALL_BACK_ON_JAVA_SERIALIZATION));
        String registered = conf.get(Config.TOPOLOGY_KRYO_REGISTER).toString();
        assertTrue(registered.contains(Change.class.getName()) && registered.contains(Result.class.getName()), registered);
    }

    @Test
    void idleBoltsSleepInsteadOfSpinningUnlessTheUsersStormMapSaysOtherwise() {
        Config conf = SyncTopology.stormConfig(LOCAL);
        assertEquals(0, conf.get(Config.TOPOLOGY_BOLT_WAIT_PROGRESSIVE_LEVEL2_COUNT));
        assertEquals(0, conf.get(Config.TOPOLOGY_BACKPRESSURE_WAIT_PROGRESSIVE_LEVEL2_COUNT));
        Config back = SyncTopology.stormConfig(LOCAL.toBuilder().topology(LOCAL.topology().toBuilder()
                .stormConfig(Map.of(Config.TOPOLOGY_BOLT_WAIT_PROGRESSIVE_LEVEL2_COUNT, 1000)).build()).build());
        assertEquals(1000, back.get(Config.TOPOLOGY_BOLT_WAIT_PROGRESSIVE_LEVEL2_COUNT));
    }

    @Test
    void aStoreSchemaThatIsNotAJsonSchemaStopsTheBuildNamingTheStore() {
        SyncConfig bad = LOCAL.toBuilder().stores(List.of(new StoreConfig("notes-app", "notes",
                "{\"type\": 12}", "conf/schemas/bad.json", "lww", null))).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SyncTopology.build(bad));
        assertTrue(e.getMessage().startsWith("dbs.notes-app.stores.notes.schema: conf/schemas/bad.json"), e.getMessage());
    }
}
