package dev.idbsync.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.common.storm.TupleContract;
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
    void changesFlowFromTheSpoutThroughValidationToTheIgniteSinkGroupedByRecord() {
        StormTopology t = SyncTopology.build(LOCAL);

        assertEquals(List.of(SyncTopology.SPOUT), List.copyOf(t.get_spouts().keySet()));
        assertEquals(Map.of(new GlobalStreamId(SyncTopology.SPOUT, TupleContract.CHANGES_STREAM),
                        Grouping.fields(List.of(TupleContract.DB, TupleContract.CLIENT_ID))),
                t.get_bolts().get(SyncTopology.VALIDATE).get_common().get_inputs());

        Map<GlobalStreamId, Grouping> sinkInputs = t.get_bolts().get(SyncTopology.IGNITE_SINK).get_common().get_inputs();
        List<String> byRecord = List.of(TupleContract.DB, TupleContract.STORE, TupleContract.KEY);
        assertEquals(Grouping.fields(byRecord), sinkInputs.get(new GlobalStreamId(SyncTopology.VALIDATE, TupleContract.VALID_STREAM)));
        assertEquals(Grouping.fields(byRecord), sinkInputs.get(new GlobalStreamId(SyncTopology.VALIDATE, TupleContract.REJECTED_STREAM)),
                "a rejected change's outcome is written by the task that owns its record");
    }

    @Test
    void parallelismComesFromTheConfig() {
        SyncConfig c = LOCAL.toBuilder().topology(LOCAL.topology().toBuilder()
                .spoutParallelism(2).validateParallelism(3).igniteSinkParallelism(4).build()).build();
        StormTopology t = SyncTopology.build(c);
        assertEquals(2, t.get_spouts().get(SyncTopology.SPOUT).get_common().get_parallelism_hint());
        assertEquals(3, t.get_bolts().get(SyncTopology.VALIDATE).get_common().get_parallelism_hint());
        assertEquals(4, t.get_bolts().get(SyncTopology.IGNITE_SINK).get_common().get_parallelism_hint());
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
    void aStoreSchemaThatIsNotAJsonSchemaStopsTheBuildNamingTheStore() {
        SyncConfig bad = LOCAL.toBuilder().stores(List.of(new StoreConfig("notes-app", "notes",
                "{\"type\": 12}", "conf/schemas/bad.json", "lww", null))).build();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SyncTopology.build(bad));
        assertTrue(e.getMessage().startsWith("dbs.notes-app.stores.notes.schema: conf/schemas/bad.json"), e.getMessage());
    }
}
