package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.IgniteConfig;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.Result;
import dev.idbsync.resolve.RecordState;
import dev.idbsync.testkit.Ports;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.ignite.client.ClientCache;
import org.apache.ignite.client.ClientTransaction;
import org.apache.ignite.client.IgniteClient;
import org.apache.ignite.transactions.TransactionConcurrency;
import org.apache.ignite.transactions.TransactionIsolation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The resolver's transaction against a real, persistent Ignite node: the OPTIMISTIC SERIALIZABLE
 * commit that finds a concurrent write, and what the writer does about it.
 */
@Tag("integration")
class ResolveWriterIT {
    @TempDir
    static Path dir;
    static SyncConfig config;
    static EmbeddedIgniteNode node;
    static List<IgniteClient> clients = new ArrayList<>();

    @BeforeAll
    static void start() {
        SyncConfig base = ConfigLoader.load(Path.of("..", "conf", "local.yaml").toAbsolutePath().normalize());
        IgniteConfig ic = base.ignite().toBuilder()
                .addresses(List.of("127.0.0.1:" + Ports.free()))
                .discoveryPort(Ports.free())
                .communicationPort(Ports.free())
                .build();
        config = base.toBuilder().dataDir(dir.toString()).ignite(ic).build();
        node = EmbeddedIgniteNode.start(config.ignite(), dir.resolve("ignite"), SyncCaches.specs(config));
    }

    @AfterAll
    static void stop() {
        clients.forEach(IgniteClient::close);
        if (node != null) {
            node.close();
        }
    }

    static IgniteClient client() {
        IgniteClient c = new ThinClientFactory(config.ignite()).create();
        clients.add(c);
        return c;
    }

    static ResolveWriter writer(int partition) {
        ResolveWriter w = new ResolveWriter(config, new SyncCaches(client(), config.ignite()), System::currentTimeMillis,
                partition);
        w.createCaches();
        return w;
    }

    static Change put(String clientId, long seq, String key, String title) {
        ObjectNode value = Json.MAPPER.createObjectNode().put("title", title).put("done", false);
        long now = System.currentTimeMillis();
        return new Change("notes-app", clientId, seq, "notes", TextNode.valueOf(key), key, Op.PUT, value, 0, now, null,
                now, now);
    }

    static ResolveWriter.Item admitted(Change c) {
        return new ResolveWriter.Item(c, "push-" + c.clientId() + "-" + c.seq(), null, false);
    }

    static ResolveWriter.Item rejected(Change c) {
        return new ResolveWriter.Item(c, "push-" + c.clientId() + "-" + c.seq(),
                Result.rejected(c.seq(), new ChangeError("schema", "/value", "test")), false);
    }

    @Test
    void aCommitThatFindsWhatItReadChangedIsRecognisedAsAConflict() throws Exception {
        IgniteClient a = client();
        IgniteClient b = client();
        ClientCache<String, String> ca = new SyncCaches(a, config.ignite()).rejectedIndex(); // TRANSACTIONAL, as the resolver has it
        ClientCache<String, String> cb = new SyncCaches(b, config.ignite()).rejectedIndex();
        RuntimeException thrown;
        try (ClientTransaction tx = a.transactions().txStart(TransactionConcurrency.OPTIMISTIC,
                TransactionIsolation.SERIALIZABLE, 10_000)) {
            ca.get("conflict-probe");
            cb.put("conflict-probe", "written meanwhile"); // another client, outside the transaction
            ca.put("conflict-probe", "from the transaction");
            thrown = assertThrows(RuntimeException.class, tx::commit);
        }
        assertTrue(ResolveWriter.isOptimisticConflict(thrown), thrown.toString());
        assertEquals("written meanwhile", ca.get("conflict-probe"));
        assertTrue(!ResolveWriter.isOptimisticConflict(new IllegalStateException("Ignite is down")));
    }

    /**
     * Two resolver tasks reject changes of one client at the same time: both append to the
     * client's rejected-changes index, the one entry they share. Every batch a writer reports
     * written must be in the index in the end (no lost update), every record it wrote must be
     * there, and a batch it reports failed must have left nothing behind.
     */
    @Test
    void twoResolverTasksAppendingToOneClientsRejectedIndexLoseNothing() throws Exception {
        ResolveWriter[] tasks = {writer(0), writer(1)};
        int batches = 40;
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        List<Future<Set<Long>>> done = new ArrayList<>();
        for (int t = 0; t < 2; t++) {
            int task = t;
            done.add(pool.submit(() -> {
                go.await();
                Set<Long> written = new TreeSet<>();
                for (int i = 0; i < batches; i++) {
                    long seq = 1 + task + 2L * i; // task 0 has the odd seqs, task 1 the even ones
                    List<ResolveWriter.Item> batch = List.of(
                            rejected(put("shared", seq, "r" + task, "x")),
                            admitted(put("own-" + task, i + 1, "k" + task + "-" + i, "t" + i)));
                    try {
                        tasks[task].write(batch);
                        written.add(seq);
                    } catch (RuntimeException e) {
                        assertTrue(ResolveWriter.isOptimisticConflict(e), e.toString()); // out of attempts
                    }
                }
                return written;
            }));
        }
        go.countDown();
        Set<Long> written = new TreeSet<>();
        for (Future<Set<Long>> f : done) {
            written.addAll(f.get());
        }
        pool.shutdown();

        SyncCaches caches = new SyncCaches(client(), config.ignite());
        String index = caches.rejectedIndex().get(RejectedLog.clientKey("notes-app", "shared"));
        assertNotNull(index);
        assertEquals(written, new TreeSet<>(RejectedLog.readIndex(index).seqs()));
        assertTrue(written.size() >= batches / 2, "most batches should get through; written: " + written.size());
        StoreConfig notes = config.store("notes-app", "notes");
        for (long seq = 1; seq <= 2L * batches; seq++) {
            int task = (int) ((seq - 1) % 2);
            long i = (seq - 1) / 2;
            String record = caches.records(notes).get("k" + task + "-" + i);
            String outcome = caches.outcomes().get(Change.eventId("notes-app", "shared", seq));
            if (written.contains(seq)) {
                assertNotNull(record, "record of batch " + seq);
                assertEquals(1, RecordState.fromJson(record).version());
                assertNotNull(outcome, "outcome of batch " + seq);
            } else {
                assertEquals(null, record, "a failed batch left its record behind: " + seq);
                assertEquals(null, outcome, "a failed batch left its outcome behind: " + seq);
            }
        }
    }

    static RecordState stored(String key) {
        String json = new SyncCaches(client(), config.ignite()).records(config.store("notes-app", "notes")).get(key);
        return json == null ? null : RecordState.fromJson(json);
    }

    /** A record decided again by the task that wrote it is taken from memory, not read back. */
    @Test
    void aTaskDecidesItsOwnRecordsAgainWithoutReadingThem() {
        ResolveWriter w = writer(5);
        w.write(List.of(admitted(put("mem", 1, "mem-1", "a")), admitted(put("mem", 2, "mem-2", "a"))));
        assertEquals(2, w.recordsFromIgnite()); // new records: looked for in Ignite once
        w.write(List.of(admitted(put("mem", 3, "mem-1", "b")), admitted(put("mem", 4, "mem-2", "b"))));
        assertEquals(2, w.recordsFromIgnite());
        assertEquals(2, w.recordsFromMemory());
        assertEquals(2, stored("mem-1").version());
        assertEquals("b", stored("mem-2").value().get("title").asText());
    }

    /**
     * Two runs of one resolver task at once (a worker thought dead that still works off its queue,
     * or a late commit of an earlier run): each writes the same record in turn. The head of the
     * task's feed log moves with every commit, so each run sees that another wrote and reads the
     * record again: versions count up without a gap or a double.
     */
    @Test
    void aRecordWrittenByAnotherRunOfTheTaskIsReadAgainNotTakenFromMemory() {
        ResolveWriter first = writer(6);
        ResolveWriter second = writer(6);
        List<Long> versions = new ArrayList<>();
        versions.add(first.write(List.of(admitted(put("runs", 1, "runs-1", "v1")))).get(0).event().version());
        versions.add(second.write(List.of(admitted(put("runs", 2, "runs-1", "v2")))).get(0).event().version());
        versions.add(first.write(List.of(admitted(put("runs", 3, "runs-1", "v3")))).get(0).event().version());
        assertEquals(3, stored("runs-1").version());
        versions.add(second.write(List.of(admitted(put("runs", 4, "runs-1", "v4")))).get(0).event().version());
        assertEquals(List.of(1L, 2L, 3L, 4L), versions);
        RecordState last = stored("runs-1");
        assertEquals(4, last.version());
        assertEquals("v4", last.value().get("title").asText());
        assertEquals(0, first.recordsFromMemory()); // each of its batches found the head moved
    }

    /** With topology.resolverCacheMb 0 every batch reads its records from Ignite. */
    @Test
    void noMemoryMeansEveryRecordIsRead() {
        SyncConfig none = config.toBuilder().topology(config.topology().toBuilder().resolverCacheMb(0).build()).build();
        ResolveWriter w = new ResolveWriter(none, new SyncCaches(client(), none.ignite()), System::currentTimeMillis, 7);
        w.createCaches();
        w.write(List.of(admitted(put("none", 1, "none-1", "a"))));
        w.write(List.of(admitted(put("none", 2, "none-1", "b"))));
        assertEquals(2, w.recordsFromIgnite());
        assertEquals(0, w.recordsFromMemory());
        assertEquals(2, stored("none-1").version());
    }

    /** A resend with another sentAt: its ts is corrected differently, the change is the same. */
    static Change resent(Change c, long laterBy) {
        return new Change(c.db(), c.clientId(), c.seq(), c.store(), c.key(), c.keyString(), c.op(), c.value(),
                c.baseVersion(), c.ts() + laterBy, c.fields(), c.sentAt() + laterBy, c.receivedAt() + 2 * laterBy);
    }

    static ResolveWriter.Item redelivery(Change c) {
        return new ResolveWriter.Item(c, "push-" + c.clientId() + "-" + c.seq() + "-again", null, true);
    }

    static String storedOutcome(Change c) {
        return new SyncCaches(client(), config.ignite()).outcomes().get(StoredOutcome.key(c));
    }

    /**
     * An applied change's outcome is stored without its event (the change holds it), and a resend
     * delivers again exactly the event the sinks got the first time: same ts and serverTs, although
     * the resend was sent and received later. A delete too.
     */
    @Test
    void aResendDeliversTheFirstEventAgainFromAnOutcomeWithoutIt() {
        ResolveWriter w = writer(8);
        Change put = put("again", 1, "again-1", "first");
        Change delete = new Change("notes-app", "again", 2, "notes", TextNode.valueOf("again-2"), "again-2", Op.DELETE,
                null, 0, put.ts(), null, put.sentAt(), put.receivedAt());
        List<ResolveWriter.Emitted> first = w.write(List.of(admitted(put), admitted(delete)));
        for (Change c : List.of(put, delete)) {
            ObjectNode o = (ObjectNode) parse(storedOutcome(c));
            assertTrue(o.has(StoredOutcome.EVENT_OF_CHANGE) && !o.has(StoredOutcome.EVENT), o.toString());
        }
        List<ResolveWriter.Emitted> again = w.write(List.of(redelivery(resent(put, 5_000)), redelivery(resent(delete, 5_000))));
        for (int i = 0; i < 2; i++) {
            assertEquals(first.get(i).event(), again.get(i).event());
            assertEquals(first.get(i).event().toJson(), again.get(i).event().toJson());
            assertTrue(again.get(i).again());
        }
        // and the same for a change the resolver finds decided without the sequencer saying so (a replay)
        assertEquals(first.get(0).event(), writer(8).write(List.of(admitted(resent(put, 9_000)))).get(0).event());
    }

    /**
     * A client that reused a seq for another change: its resend is not the change decided. The event
     * comes from the record while the record is still at the version that change made; once the
     * record has moved on there is nothing to rebuild it from, and nothing is delivered (never the
     * resend's value).
     */
    @Test
    void aResendThatIsAnotherChangeGetsTheRecordsEventOrNone() {
        ResolveWriter w = writer(9);
        Change decided = put("reuse", 1, "reuse-1", "what was decided");
        ResolveWriter.Emitted first = w.write(List.of(admitted(decided))).get(0);
        Change other = put("reuse", 1, "reuse-1", "something else");
        ResolveWriter.Emitted again = w.write(List.of(redelivery(other))).get(0);
        assertEquals(first.event(), again.event());
        assertEquals("what was decided", again.event().value().get("title").asText());

        w.write(List.of(admitted(put("reuse-2", 1, "reuse-1", "a later write"))));
        assertEquals(null, w.write(List.of(redelivery(other))).get(0));
        assertEquals(first.event(), w.write(List.of(redelivery(resent(decided, 1_000)))).get(0).event(),
                "the change itself still gets its event");
    }

    /** A conflict keeps its whole event: the record became something else than the change sent. */
    @Test
    void aConflictKeepsItsWholeEvent() {
        ResolveWriter w = writer(10);
        w.write(List.of(admitted(put("cf-a", 1, "cf-1", "a"))));
        Change b = put("cf-b", 1, "cf-1", "b");
        // baseVersion 0 against version 1 of another client, made a minute before it: lww keeps the stored one
        Change late = new Change(b.db(), b.clientId(), 1, b.store(), b.key(), b.keyString(), Op.PUT, b.value(), 0,
                b.ts() - 60_000, null, b.sentAt(), b.receivedAt());
        ResolveWriter.Emitted decided = w.write(List.of(admitted(late))).get(0);
        assertEquals(dev.idbsync.protocol.Status.CONFLICT, decided.event().status());
        ObjectNode o = (ObjectNode) parse(storedOutcome(late));
        assertTrue(o.has(StoredOutcome.EVENT) && !o.has(StoredOutcome.EVENT_OF_CHANGE), o.toString());
        assertEquals(decided.event(), w.write(List.of(redelivery(late))).get(0).event());
    }

    static com.fasterxml.jackson.databind.JsonNode parse(String json) {
        try {
            return Json.MAPPER.readTree(json);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
