package dev.idbsync.resolve;

import static dev.idbsync.resolve.Fixture.NOW;
import static dev.idbsync.resolve.Fixture.T0;
import static dev.idbsync.resolve.Fixture.delete;
import static dev.idbsync.resolve.Fixture.obj;
import static dev.idbsync.resolve.Fixture.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ResolverTest {
    private static final long HOUR = 3_600_000L;

    // ------------------------------------------------------------------ the table

    /** One change and the result it must get. {@code value} is JSON, null when the result has none. */
    record Step(Fixture.C change, Status status, Long version, String value, String errorCode) {
        @Override
        public String toString() {
            return change.clientId + "/" + change.seq + " " + change.op.wire() + " base " + change.base;
        }
    }

    static Step ok(Fixture.C c, long version) {
        return new Step(c, Status.APPLIED, version, null, null);
    }

    static Step lost(Fixture.C c, long version, String value) {
        return new Step(c, Status.CONFLICT, version, value, null);
    }

    /** A conflict that leaves the record deleted: no value. */
    static Step lostToTombstone(Fixture.C c, long version) {
        return new Step(c, Status.CONFLICT, version, null, null);
    }

    static Step rejected(Fixture.C c, String code) {
        return new Step(c, Status.REJECTED, null, null, code);
    }

    static final String A1 = "{\"title\":\"a1\"}";
    static final String B1 = "{\"title\":\"b1\"}";
    static final String C1 = "{\"title\":\"c1\"}";

    static Stream<Arguments> scenarios() {
        return Stream.of(
                // ---- lww
                Arguments.of("lww: the later put wins", "lww", List.of(
                        ok(put("a", 1, 0, 1000, A1), 1),
                        ok(put("b", 1, 0, 2000, B1), 2))),
                Arguments.of("lww: the earlier put loses and gets the stored value", "lww", List.of(
                        ok(put("a", 1, 0, 1000, A1), 1),
                        lost(put("b", 1, 0, 500, B1), 1, A1))),
                Arguments.of("lww: equal ts, the greater clientId wins", "lww", List.of(
                        ok(put("b", 1, 0, 1000, B1), 1),
                        lost(put("a", 1, 0, 1000, A1), 1, B1),
                        ok(put("c", 1, 0, 1000, C1), 2))),
                Arguments.of("lww: a later delete wins, then a stale put loses to the tombstone", "lww", List.of(
                        ok(put("a", 1, 0, 1000, A1), 1),
                        ok(delete("b", 1, 0, 2000), 2),
                        lostToTombstone(put("a", 2, 1, 1500, A1), 2),
                        ok(put("a", 3, 2, 1600, A1), 3))),
                Arguments.of("lww: an earlier delete loses to the stored put", "lww", List.of(
                        ok(put("a", 1, 0, 2000, A1), 1),
                        lost(delete("b", 1, 0, 1000), 1, A1))),
                Arguments.of("lww: a later put revives a record another client deleted", "lww", List.of(
                        ok(delete("a", 1, 0, 1000), 1),
                        ok(put("b", 1, 0, 2000, B1), 2))),
                Arguments.of("lww: delete against a tombstone", "lww", List.of(
                        ok(put("a", 1, 0, 1000, A1), 1),
                        ok(delete("b", 1, 1, 2000), 2),
                        lostToTombstone(delete("c", 1, 1, 1500), 2),
                        ok(delete("c", 2, 1, 2500), 3))),
                Arguments.of("lww: a clock one hour fast is corrected by sentAt", "lww", List.of(
                        ok(put("a", 1, 0, 1000, A1), 1),
                        lost(put("b", 1, 0, 500 + HOUR, B1).clockAhead(HOUR), 1, A1),
                        ok(put("b", 2, 0, 1500 + HOUR, B1).clockAhead(HOUR), 2))),
                Arguments.of("lww: a clock one hour slow is corrected by sentAt", "lww", List.of(
                        ok(put("a", 1, 0, 1000, A1), 1),
                        lost(put("b", 1, 0, 900 - HOUR, B1).clockAhead(-HOUR), 1, A1),
                        ok(put("b", 2, 0, 1100 - HOUR, B1).clockAhead(-HOUR), 2))),
                Arguments.of("lww: skew is measured per request", "lww", List.of(
                        ok(put("a", 1, 0, 1000, A1).receivedAt(T0 + 5000), 1),
                        // sent at T0+4000 by b's clock, received at T0+5000: b is 1 s slow, so ts 500 is 1500
                        ok(put("b", 1, 0, 500, B1).receivedAt(T0 + 5000).clockAhead(-1000), 2))),
                Arguments.of("lww: no conflict when baseVersion is current, whatever the ts", "lww", List.of(
                        ok(put("a", 1, 0, 1000, A1), 1),
                        ok(put("b", 1, 1, 10, B1), 2),
                        ok(delete("a", 2, 2, 5), 3))),
                Arguments.of("lww: the last write being the client's own, its next change replaces it", "lww", List.of(
                        ok(put("a", 1, 0, 1000, A1), 1),
                        ok(put("b", 1, 0, 2000, B1), 2),
                        ok(put("b", 2, 0, 1500, "{\"title\":\"b2\"}"), 3))),
                // ---- server-wins
                Arguments.of("server-wins: a later put gets the stored value", "server-wins", List.of(
                        ok(put("a", 1, 0, 1000, A1), 1),
                        lost(put("b", 1, 0, 9000, B1), 1, A1),
                        ok(put("b", 2, 1, 100, B1), 2))),
                Arguments.of("server-wins: a delete against a put keeps the put", "server-wins", List.of(
                        ok(put("a", 1, 0, 1000, A1), 1),
                        lost(delete("b", 1, 0, 9000), 1, A1))),
                Arguments.of("server-wins: a put against a tombstone leaves it deleted", "server-wins", List.of(
                        ok(put("a", 1, 0, 1000, A1), 1),
                        ok(delete("b", 1, 1, 2000), 2),
                        lostToTombstone(put("a", 2, 1, 9000, A1), 2))),
                Arguments.of("server-wins: equal ts changes nothing", "server-wins", List.of(
                        ok(put("a", 1, 0, 1000, A1), 1),
                        lost(put("z", 1, 0, 1000, B1), 1, A1))),
                // ---- client-wins
                Arguments.of("client-wins: an earlier put is applied", "client-wins", List.of(
                        ok(put("a", 1, 0, 2000, A1), 1),
                        ok(put("b", 1, 0, 1000, B1), 2))),
                Arguments.of("client-wins: deletes and revivals are applied", "client-wins", List.of(
                        ok(put("a", 1, 0, 2000, A1), 1),
                        ok(delete("b", 1, 0, 1000), 2),
                        ok(put("c", 1, 0, 500, C1), 3),
                        ok(delete("a", 2, 1, 1), 4))),
                // ---- merge
                Arguments.of("merge: disjoint fields both survive", "merge", List.of(
                        ok(put("a", 1, 0, 1000, "{\"title\":\"t\",\"done\":false,\"color\":\"red\"}"), 1),
                        ok(put("b", 1, 1, 2000, "{\"title\":\"t2\",\"done\":false,\"color\":\"red\"}")
                                .fields("title"), 2),
                        lost(put("a", 2, 1, 1500, "{\"title\":\"t\",\"done\":true,\"color\":\"red\"}")
                                .fields("done"), 3, "{\"title\":\"t2\",\"done\":true,\"color\":\"red\"}"))),
                Arguments.of("merge: a field changed on both sides goes to the later ts", "merge", List.of(
                        ok(put("a", 1, 0, 1000, "{\"title\":\"t\",\"done\":false}"), 1),
                        ok(put("b", 1, 1, 2000, "{\"title\":\"from-b\",\"done\":false}").fields("title"), 2),
                        // earlier than b: keeps b's title, and the merge changes nothing: no new version
                        lost(put("c", 1, 1, 1500, "{\"title\":\"from-c\",\"done\":false}").fields("title"), 2,
                                "{\"title\":\"from-b\",\"done\":false}"),
                        // later than b: takes the title, and the merge is d's own value
                        ok(put("d", 1, 1, 2500, "{\"title\":\"from-d\",\"done\":false}").fields("title"), 3))),
                Arguments.of("merge: equal ts, the greater clientId takes the field", "merge", List.of(
                        ok(put("a", 1, 0, 1000, "{\"title\":\"t\",\"done\":false}"), 1),
                        ok(put("c", 1, 1, 2000, "{\"title\":\"c\",\"done\":false}").fields("title"), 2),
                        lost(put("b", 1, 1, 2000, "{\"title\":\"b\",\"done\":true}").fields("title", "done"), 3,
                                "{\"title\":\"c\",\"done\":true}"),
                        ok(put("d", 1, 1, 2000, "{\"title\":\"d\",\"done\":true}").fields("title"), 4))),
                Arguments.of("merge: a put without fields modifies every field", "merge", List.of(
                        ok(put("a", 1, 0, 1000, "{\"title\":\"t\",\"done\":false,\"color\":\"red\"}"), 1),
                        ok(put("b", 1, 1, 2000, "{\"title\":\"t\",\"done\":true,\"color\":\"red\"}")
                                .fields("done"), 2),
                        lost(put("c", 1, 1, 1500, "{\"title\":\"c\",\"done\":false,\"color\":\"blue\"}"), 3,
                                "{\"title\":\"c\",\"done\":true,\"color\":\"blue\"}"))),
                Arguments.of("merge: a listed field absent from the value is removed", "merge", List.of(
                        ok(put("a", 1, 0, 1000, "{\"title\":\"t\",\"color\":\"red\"}"), 1),
                        ok(put("b", 1, 1, 2000, "{\"title\":\"t2\",\"color\":\"red\"}").fields("title"), 2),
                        lost(put("c", 1, 1, 1500, "{\"title\":\"t\"}").fields("color"), 3, "{\"title\":\"t2\"}"))),
                Arguments.of("merge: fields the change did not list keep their stored value", "merge", List.of(
                        ok(put("a", 1, 0, 1000, "{\"title\":\"t\",\"done\":false}"), 1),
                        ok(put("b", 1, 1, 2000, "{\"title\":\"t\",\"done\":true}").fields("done"), 2),
                        lost(put("c", 1, 1, 3000, "{\"title\":\"c\",\"done\":false}").fields("title"), 3,
                                "{\"title\":\"c\",\"done\":true}"))),
                Arguments.of("merge: same as stored and as the client's value: applied, no new version", "merge",
                        List.of(
                                ok(put("a", 1, 0, 1000, "{\"title\":\"t\"}"), 1),
                                ok(put("b", 1, 1, 2000, "{\"title\":\"x\"}").fields("title"), 2),
                                ok(put("c", 1, 1, 2500, "{\"title\":\"x\"}").fields("title"), 2))),
                Arguments.of("merge: numbers are compared by value", "merge", List.of(
                        ok(put("a", 1, 0, 1000, "{\"title\":\"t\",\"n\":1}"), 1),
                        ok(put("b", 1, 1, 2000, "{\"title\":\"x\",\"n\":1}").fields("title"), 2),
                        ok(put("c", 1, 1, 1500, "{\"title\":\"x\",\"n\":1.0}").fields("n"), 2))),
                Arguments.of("merge: a delete is settled as lww", "merge", List.of(
                        ok(put("a", 1, 0, 1000, A1), 1),
                        ok(delete("b", 1, 0, 2000), 2),
                        lostToTombstone(put("a", 2, 1, 1500, "{\"title\":\"a2\"}").fields("title"), 2),
                        ok(put("a", 3, 1, 3000, "{\"title\":\"a3\",\"done\":true}").fields("done"), 3))),
                Arguments.of("merge: an earlier delete loses to the stored put", "merge", List.of(
                        ok(put("a", 1, 0, 2000, A1), 1),
                        lost(delete("b", 1, 0, 1000), 1, A1))),
                Arguments.of("merge: skew-corrected times decide a field", "merge", List.of(
                        ok(put("a", 1, 0, 1000, "{\"title\":\"t\"}"), 1),
                        ok(put("b", 1, 1, 2000, "{\"title\":\"b\"}").fields("title"), 2),
                        ok(put("c", 1, 1, 2500 + HOUR, "{\"title\":\"c\"}").fields("title").clockAhead(HOUR), 3),
                        lost(put("d", 1, 1, 2400 - HOUR, "{\"title\":\"d\"}").fields("title").clockAhead(-HOUR), 3,
                                "{\"title\":\"c\"}")))
        );
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("scenarios")
    void scenario(String name, String policy, List<Step> steps) {
        run(policy, steps);
    }

    // ------------------------------------------------------------------ every policy

    static Stream<String> policies() {
        return ConflictPolicies.BUILT_IN.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void ownWriteChainNeverConflicts(String policy) {
        // five changes on baseVersion 0, their ts going backwards, a delete among them
        run(policy, List.of(
                ok(put("a", 1, 0, 5000, "{\"title\":\"1\"}"), 1),
                ok(put("a", 2, 0, 4000, "{\"title\":\"2\"}").fields("title"), 2),
                ok(put("a", 3, 0, 3000, "{\"title\":\"3\",\"done\":true}"), 3),
                ok(delete("a", 4, 0, 2000), 4),
                ok(put("a", 5, 0, 1000, "{\"title\":\"5\"}"), 5)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void tombstoneRevivedOnItsVersion(String policy) {
        Fixture.Server server = run(policy, List.of(
                ok(put("a", 1, 0, 1000, A1), 1),
                ok(delete("b", 1, 1, 2000), 2),
                ok(put("a", 2, 2, 1500, "{\"title\":\"back\"}"), 3)));
        assertEquals(Op.PUT, server.record().op());
        assertEquals(obj("{\"title\":\"back\"}"), server.record().value());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void deleteOfANeverSeenRecordLeavesATombstoneAtVersion1(String policy) {
        Fixture.Server server = run(policy, List.of(ok(delete("a", 1, 0, 1000), 1)));
        assertTrue(server.record().deleted());
        assertNull(server.record().value());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void unknownVersion(String policy) {
        run(policy, List.of(
                rejected(put("a", 1, 1, 1000, A1), "unknown_version"),
                rejected(delete("a", 2, 3, 1000), "unknown_version"),
                ok(put("a", 3, 0, 1000, A1), 1),
                rejected(put("b", 1, 2, 2000, B1), "unknown_version"),
                ok(put("b", 2, 1, 2000, B1), 2)));
    }

    // ------------------------------------------------------------------ the rest

    @Test
    void unknownVersionNamesBothVersions() {
        Fixture.Server server = new Fixture.Server("lww");
        server.push(put("a", 1, 0, 1000, A1));
        Decision d = server.push(put("b", 1, 7, 2000, B1));
        assertNull(d.next());
        Result r = d.result();
        assertEquals(Status.REJECTED, r.status());
        assertEquals(1, r.seq());
        assertEquals("unknown_version", r.error().code());
        assertEquals("/baseVersion", r.error().path());
        assertTrue(r.error().message().contains("baseVersion 7") && r.error().message().contains("version 1"),
                r.error().message());

        Decision none = new Fixture.Server("lww").push(put("a", 1, 2, 1000, A1));
        assertTrue(none.result().error().message().contains("baseVersion 2")
                && none.result().error().message().contains("version 0"), none.result().error().message());
    }

    @Test
    void appliedPutMakesTheWholeState() {
        Fixture.Server server = new Fixture.Server("lww");
        server.push(put("a", 1, 0, 1000, A1));
        Change change = put("b", 4, 1, 2000, "{\"title\":\"b\",\"done\":true}").fields("done")
                .clockAhead(-250).receivedAt(NOW + 7).build();
        Decision d = server.push(change);
        RecordState s = d.next();
        assertEquals(Result.applied(4, 2), d.result());
        assertEquals(new RecordState("notes-app", "notes", change.key(), Op.PUT, change.value(), 2, "b", 4,
                T0 + 2000 + 250, NOW + 7, List.of(
                new Write(1, "a", T0 + 1000, Op.PUT, null),
                new Write(2, "b", T0 + 2250, Op.PUT, List.of("done")))), s);
        assertEquals(s, RecordState.fromJson(s.toJson()), "the state must read back from its JSON as it was");
    }

    @Test
    void resultsOnTheWire() throws Exception {
        Fixture.Server server = new Fixture.Server("lww");
        Decision applied = server.push(put("a", 1, 0, 1000, A1));
        assertEquals("{\"seq\":1,\"status\":\"applied\",\"version\":1}", Json.MAPPER.writeValueAsString(applied.result()));
        server.push(delete("b", 1, 0, 2000));
        Decision lost = server.push(put("a", 2, 1, 1500, A1));
        assertEquals("{\"seq\":2,\"status\":\"conflict\",\"version\":2,\"policy\":\"lww\"}",
                Json.MAPPER.writeValueAsString(lost.result()));
    }

    @Test
    void appliedDeleteLeavesATombstone() {
        Fixture.Server server = new Fixture.Server("merge"); // keeps each write apart in the history
        server.push(put("a", 1, 0, 1000, A1));
        RecordState s = server.push(delete("a", 2, 1, 2000)).next();
        assertTrue(s.deleted());
        assertNull(s.value());
        assertEquals(new Write(2, "a", T0 + 2000, Op.DELETE, null), s.history().get(1));
        assertEquals(s, RecordState.fromJson(s.toJson()));
        assertTrue(!s.toJson().contains("\"value\""), "a tombstone's JSON has no value: " + s.toJson());
    }

    @Test
    void aMergedValueRecordsTheFieldsItChanged() {
        Fixture.Server server = new Fixture.Server("merge");
        server.push(put("a", 1, 0, 1000, "{\"title\":\"t\",\"done\":false,\"color\":\"red\"}"));
        server.push(put("b", 1, 1, 2000, "{\"title\":\"t2\",\"done\":false,\"color\":\"red\"}").fields("title"));
        Decision d = server.push(put("c", 1, 1, 1500, "{\"title\":\"t\",\"done\":true,\"color\":\"blue\"}")
                .fields("done", "color"));
        assertEquals(Status.CONFLICT, d.result().status());
        Write w = d.next().history().get(2);
        assertEquals(new Write(3, "c", T0 + 1500, Op.PUT, List.of("done", "color")), w);
        assertEquals("c", d.next().clientId());
    }

    /** A policy that keeps the stored record and remembers every conflict it was given. */
    private static final class Recording implements ConflictPolicy {
        final List<Conflict> seen = new ArrayList<>();

        @Override
        public Resolution resolve(Conflict c) {
            seen.add(c);
            return Resolution.keepStored();
        }

        List<Write> lastOthers() {
            return seen.get(seen.size() - 1).othersSinceBase();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("policies")
    void fortyOwnWritesOnOneBaseAreAllApplied(String policy) {
        Fixture.Server server = new Fixture.Server(policy);
        for (int i = 1; i <= 40; i++) {
            Decision d = server.push(put("a", i, 0, 1000 + i, "{\"title\":\"a" + i + "\"}"));
            assertEquals(Result.applied(i, i), d.result());
        }
        // lww, server-wins and client-wins keep the run as one entry; merge keeps writes apart up to 32
        assertEquals(Resolver.foldsOwnRuns(server.policy) ? 1 : RecordState.HISTORY, server.record().history().size());
    }

    @Test
    void underLwwARunOfOneClientsWritesIsOneEntryAndStillTellsWhoWroteAfterABase() {
        Fixture.Server server = new Fixture.Server("lww");
        server.push(put("b", 1, 0, 1000, B1));
        for (int i = 1; i <= 40; i++) {
            assertEquals(Result.applied(i, i + 1), server.push(put("a", i, 1, 1000 + i, A1)).result());
        }
        RecordState s = server.record();
        assertEquals(List.of(new Write(1, "b", T0 + 1000, Op.PUT, null), new Write(41, "a", T0 + 1040, null, null)),
                s.history());
        Recording recording = new Recording();
        Resolver resolver = new Resolver();
        // b on base 1: a wrote after it
        resolver.decide(put("b", 2, 1, 99_000, B1).build(), s, "custom", recording, NOW);
        assertEquals(List.of(s.history().get(1)), recording.lastOthers());
        // a on base 1 or any later one: its own writes
        assertEquals(Result.applied(41, 42), resolver.decide(put("a", 41, 1, 99_000, A1).build(), s, "custom", recording,
                NOW).result());
        // c on base 40: a's write 41
        resolver.decide(put("c", 1, 40, 99_000, C1).build(), s, "custom", recording, NOW);
        assertEquals(List.of(s.history().get(1)), recording.lastOthers());
        assertEquals(2, recording.seen.size());
    }

    /**
     * Folding a run of one client's writes at once changes no answer to "did another client write
     * after version N?": over random write sequences of three clients, for every client and every
     * base, the folded history and the one that keeps every write say the same.
     */
    @Test
    void foldingRunsAtOnceAnswersWhoWroteAfterABaseAsKeepingEveryWriteDoes() {
        java.util.Random random = new java.util.Random(42);
        String[] clients = {"a", "b", "c"};
        for (int round = 0; round < 500; round++) {
            List<Write> kept = null;
            List<Write> folded = null;
            int writes = 1 + random.nextInt(RecordState.HISTORY); // at most 32: the kept history folds nothing
            for (int v = 1; v <= writes; v++) {
                // runs: the same client again more often than not
                String client = v > 1 && random.nextInt(3) > 0 ? kept.get(kept.size() - 1).clientId()
                        : clients[random.nextInt(3)];
                Write w = new Write(v, client, T0 + v, Op.PUT, null);
                kept = History.append(kept, w, false);
                folded = History.append(folded, w, true);
            }
            RecordState k = new RecordState("db", "s", null, Op.PUT, null, writes, null, 0, 0, 0, kept);
            RecordState f = new RecordState("db", "s", null, Op.PUT, null, writes, null, 0, 0, 0, folded);
            assertTrue(folded.size() <= kept.size());
            for (String c : clients) {
                for (long base = 0; base <= writes; base++) {
                    assertEquals(History.othersSince(k, base, c).isEmpty(), History.othersSince(f, base, c).isEmpty(),
                            "client " + c + ", base " + base + ", history " + kept);
                }
            }
        }
    }

    @Test
    void historyKeeps32EntriesAndAnOldBaseOfAnotherClientConflicts() {
        Fixture.Server server = new Fixture.Server("merge"); // keeps each write apart until the history is full
        for (int i = 1; i <= 40; i++) {
            server.push(put("a", i, 0, 1000 + i, "{\"title\":\"a" + i + "\"}"));
        }
        RecordState s = server.record();
        assertEquals(40, s.version());
        assertEquals(RecordState.HISTORY, s.history().size());
        // versions 1-9, all a's, folded into one entry; 10-40 as they were
        assertEquals(new Write(9, "a", T0 + 1009, null, null), s.history().get(0));
        assertEquals(new Write(10, "a", T0 + 1010, Op.PUT, null), s.history().get(1));
        assertEquals(new Write(40, "a", T0 + 1040, Op.PUT, null), s.history().get(31));
        assertEquals(s, RecordState.fromJson(s.toJson()));

        Recording recording = new Recording();
        Resolver resolver = new Resolver();
        // b on base 5: a's writes 6-40 conflict
        Decision d = resolver.decide(put("b", 1, 5, 99_000, B1).build(), s, "server-wins", recording, NOW);
        assertEquals(Result.conflict(1, 40, obj("{\"title\":\"a40\"}"), "server-wins"), d.result());
        assertNull(d.next());
        assertEquals(32, recording.lastOthers().size());
        assertEquals(new Write(9, "a", T0 + 1009, null, null), recording.lastOthers().get(0));
        // a itself on base 5: all its own
        d = resolver.decide(put("a", 41, 5, 99_000, A1).build(), s, "server-wins", recording, NOW);
        assertEquals(Result.applied(41, 41), d.result());
        assertEquals(RecordState.HISTORY, d.next().history().size());
        assertEquals(new Write(10, "a", T0 + 1010, null, null), d.next().history().get(0));
        // b on base 39: only a's write 40
        resolver.decide(put("b", 1, 39, 99_000, B1).build(), s, "server-wins", recording, NOW);
        assertEquals(List.of(s.history().get(31)), recording.lastOthers());
        // under lww a later change wins
        d = resolver.decide(put("b", 1, 0, 99_000, B1).build(), s, "lww", new LastWriterWins(), NOW);
        assertEquals(Result.applied(1, 41), d.result());
        assertEquals(2, recording.seen.size());
    }

    @Test
    void writesOfSeveralClientsFoldedTogetherConflictWithEveryone() {
        Fixture.Server server = new Fixture.Server("server-wins");
        for (int i = 1; i <= 40; i++) {
            String client = i % 2 == 1 ? "a" : "b"; // a, b, a, b, ... each on the version before
            Decision d = server.push(put(client, i, i - 1, 1000 + i, "{\"title\":\"" + client + i + "\"}")
                    .fields("title"));
            assertEquals(Result.applied(i, i), d.result());
        }
        RecordState s = server.record();
        assertEquals(RecordState.HISTORY, s.history().size());
        assertEquals(new Write(9, null, T0 + 1009, null, List.of("title")), s.history().get(0));
        Recording recording = new Recording();
        Resolver resolver = new Resolver();
        // a on base 5: versions 6-9 cannot be told apart any more, so they count as another's
        resolver.decide(put("a", 41, 5, 99_000, A1).build(), s, "server-wins", recording, NOW);
        assertEquals(s.history().get(0), recording.lastOthers().get(0));
        assertEquals(17, recording.lastOthers().size()); // the folded entry and b's 10, 12, ..., 40
        // a on base 39: b's write 40
        resolver.decide(put("a", 41, 39, 99_000, A1).build(), s, "server-wins", recording, NOW);
        assertEquals(List.of(s.history().get(31)), recording.lastOthers());
        // b on base 39: its own
        assertEquals(Status.APPLIED, resolver.decide(put("b", 41, 39, 99_000, B1).build(), s, "server-wins",
                recording, NOW).result().status());
    }

    @Test
    void aLongRunOfOneClientIsFoldedBeforeOlderWritesOfOthers() {
        Fixture.Server server = new Fixture.Server("merge"); // keeps each write apart until the history is full
        server.push(put("b", 1, 0, 1000, B1));
        for (int i = 1; i <= 40; i++) {
            assertEquals(Result.applied(i, i + 1), server.push(put("a", i, 1, 1000 + i, A1)).result());
        }
        RecordState s = server.record();
        assertEquals(new Write(1, "b", T0 + 1000, Op.PUT, null), s.history().get(0));
        assertEquals(new Write(11, "a", T0 + 1010, null, null), s.history().get(1));
        assertEquals(new Write(12, "a", T0 + 1011, Op.PUT, null), s.history().get(2));
        // c on base 0: b's write and a's
        Recording recording = new Recording();
        new Resolver().decide(put("c", 1, 0, 99_000, C1).build(), s, "server-wins", recording, NOW);
        assertEquals(32, recording.lastOthers().size());
        // b on base 1: a's writes
        new Resolver().decide(put("b", 2, 1, 99_000, B1).build(), s, "server-wins", recording, NOW);
        assertEquals(31, recording.lastOthers().size());
    }

    @Test
    void aHistoryThatDoesNotReachBackConflictsWithOlderBases() {
        // a record whose history starts at version 9: versions 1-8 are unknown
        List<Write> history = new ArrayList<>();
        for (int v = 9; v <= 12; v++) {
            history.add(new Write(v, "a", T0 + v, Op.PUT, null));
        }
        RecordState s = new RecordState("notes-app", "notes", JsonNodeFactory.instance.textNode("k"), Op.PUT,
                obj(A1), 12, "a", 12, T0 + 12, NOW, history);
        Recording recording = new Recording();
        Resolver resolver = new Resolver();
        assertEquals(Status.CONFLICT, resolver.decide(put("a", 13, 5, 99_000, A1).build(), s, "server-wins",
                recording, NOW).result().status());
        assertEquals(List.of(new Write(8, null, T0 + 9, null, null)), recording.lastOthers());
        assertEquals(Status.CONFLICT, resolver.decide(put("a", 13, 7, 99_000, A1).build(), s, "server-wins",
                recording, NOW).result().status());
        assertEquals(Result.applied(13, 13), resolver.decide(put("a", 13, 8, 99_000, A1).build(), s,
                "server-wins", recording, NOW).result());
        // b on base 8: a's writes 9-12
        resolver.decide(put("b", 1, 8, 99_000, B1).build(), s, "server-wins", recording, NOW);
        assertEquals(history, recording.lastOthers());
        assertEquals(3, recording.seen.size());
    }

    @Test
    void aRecordWithoutHistoryConflictsWithEveryOlderBase() {
        RecordState s = new RecordState("notes-app", "notes", JsonNodeFactory.instance.textNode("k"), Op.PUT,
                obj(A1), 3, "a", 3, T0 + 1000, NOW, List.of());
        List<Conflict> seen = new ArrayList<>();
        Decision d = new Resolver().decide(put("a", 4, 2, 2000, B1).build(), s, "server-wins", c -> {
            seen.add(c);
            return Resolution.keepStored();
        }, NOW);
        assertEquals(Status.CONFLICT, d.result().status());
        assertEquals(List.of(new Write(3, null, T0 + 1000, null, null)), seen.get(0).othersSinceBase());
        assertEquals(Result.applied(4, 4), new Resolver().decide(put("a", 4, 3, 2000, B1).build(), s, "server-wins",
                c -> Resolution.keepStored(), NOW).result());
    }

    @Test
    void aPolicyValueOverATombstoneIsANewPut() {
        Fixture.Server server = new Fixture.Server("custom", c -> Resolution.store(obj("{\"title\":\"built\"}")));
        server.push(put("a", 1, 0, 1000, A1));
        server.push(delete("a", 2, 1, 2000));
        Decision d = server.push(put("b", 1, 1, 500, B1));
        assertEquals(Result.conflict(1, 3, obj("{\"title\":\"built\"}"), "custom"), d.result());
        assertEquals(Op.PUT, d.next().op());
        assertEquals(new Write(3, "b", T0 + 500, Op.PUT, null), d.next().history().get(2));
        // a delete given a value back: conflict, with the value
        Decision d2 = server.push(delete("c", 1, 1, 500));
        assertEquals(Result.conflict(1, 3, obj("{\"title\":\"built\"}"), "custom"), d2.result());
        assertNull(d2.next());
    }

    @Test
    void aPolicyCannotChangeTheRecordOrTheChangeInPlace() {
        Fixture.Server server = new Fixture.Server("vandal", c -> {
            c.stored().value().put("title", "vandalised");
            c.change().value().put("title", "vandalised");
            return Resolution.keepStored();
        });
        server.push(put("a", 1, 0, 1000, A1));
        RecordState before = server.record();
        String json = before.toJson();
        Change change = put("b", 1, 0, 2000, B1).build();
        Decision d = server.push(change);
        assertEquals(Result.conflict(1, 1, obj(A1), "vandal"), d.result());
        assertSame(before, server.record());
        assertEquals(json, server.record().toJson());
        assertEquals(obj(B1), change.value());
    }

    @Test
    void aPolicyReturningNothingIsABug() {
        Fixture.Server server = new Fixture.Server("custom:com.example.Broken", c -> null);
        server.push(put("a", 1, 0, 1000, A1));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> server.push(put("b", 1, 0, 2000, B1)));
        assertTrue(e.getMessage().contains("custom:com.example.Broken"), e.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"lww", "server-wins", "client-wins", "merge"})
    void deterministic(String policy) {
        List<Decision> first = new ArrayList<>();
        List<Decision> second = new ArrayList<>();
        List<Step> steps = allStepsOf(policy);
        Fixture.Server one = new Fixture.Server(policy);
        Fixture.Server two = new Fixture.Server(policy);
        Resolver resolver = new Resolver();
        for (Step step : steps) {
            Change change = step.change().build();
            RecordState current = one.record(change.keyString());
            String json = current == null ? null : current.toJson();
            // the same change against the same state, decided twice, and against a state read back from JSON
            Decision again = resolver.decide(change, current, policy, one.policy, change.receivedAt());
            Decision fromJson = resolver.decide(change, json == null ? null : RecordState.fromJson(json), policy,
                    ConflictPolicies.forName(policy, getClass().getClassLoader()), change.receivedAt());
            first.add(one.push(change));
            second.add(two.push(step.change().build()));
            assertEquals(first.get(first.size() - 1), again);
            assertEquals(first.get(first.size() - 1), fromJson);
            assertEquals(json, current == null ? null : current.toJson(), "deciding must not change the state");
        }
        assertEquals(first, second);
    }

    /** Every step of every scenario of one policy, each scenario on a key of its own. */
    private static List<Step> allStepsOf(String policy) {
        List<Step> out = new ArrayList<>();
        int n = 0;
        for (Arguments a : (Iterable<Arguments>) scenarios()::iterator) {
            n++;
            if (!a.get()[1].equals(policy)) {
                continue;
            }
            @SuppressWarnings("unchecked")
            List<Step> steps = (List<Step>) a.get()[2];
            for (Step s : steps) {
                s.change().key(JsonNodeFactory.instance.textNode("k" + n));
                out.add(s);
            }
        }
        assertTrue(!out.isEmpty());
        return out;
    }

    // ------------------------------------------------------------------ running a table

    /**
     * Runs the steps on an empty store and checks each result, and that the record afterwards is
     * what the result tells the client to hold.
     */
    private static Fixture.Server run(String policy, List<Step> steps) {
        Fixture.Server server = new Fixture.Server(policy);
        int i = 0;
        for (Step step : steps) {
            i++;
            Change change = step.change().build();
            String where = "step " + i + " (" + step + ")";
            RecordState before = server.record(change.keyString());
            Decision d = server.push(change);
            Result r = d.result();
            RecordState after = server.record(change.keyString());
            String got = where + ": got " + r;

            assertEquals(change.seq(), r.seq(), got);
            assertEquals(step.status(), r.status(), got);
            assertEquals(step.version(), r.version(), got);
            assertEquals(step.value() == null ? null : obj(step.value()), r.value(), got);
            if (step.errorCode() != null) {
                assertEquals(step.errorCode(), r.error().code(), got);
            } else {
                assertNull(r.error(), got);
            }
            assertEquals(r.status() == Status.CONFLICT ? policy : null, r.policy(), got);

            if (d.next() == null) {
                assertSame(before, after, where + ": no new version, so the record must be as it was");
            } else {
                assertEquals(before == null ? 1 : before.version() + 1, d.next().version(), where);
                assertEquals(d.next().version(), d.next().history().get(d.next().history().size() - 1).version());
            }
            switch (r.status()) {
                case APPLIED -> {
                    assertNotNull(after, where);
                    assertEquals(r.version(), after.version(), where);
                    assertEquals(change.op(), after.op(), where);
                    assertTrue(JsonValues.same(change.value(), after.value()),
                            where + ": the record must hold the change's value, holds " + after.value());
                }
                case CONFLICT -> {
                    assertEquals(r.version(), after.version(), where);
                    assertEquals(r.value(), after.deleted() ? null : after.value(), where);
                }
                case REJECTED -> assertNull(d.next(), where);
                default -> throw new AssertionError(got);
            }
        }
        return server;
    }

    @Test
    void aRecordWhoseTombstoneExpiredCountsAsAtTheDbsFloorSoItsNextVersionIsAboveAnyItHad() {
        Resolver resolver = new Resolver();
        // floor 7: a tombstone at version 7 was removed by retention (docs/ignite.md, "Retention")
        Decision d = resolver.decide(put("a", 1, 0, 0, A1).build(), null, "lww", new LastWriterWins(), NOW, 7);
        assertEquals(Status.APPLIED, d.result().status());
        assertEquals(8, d.result().version());
        assertEquals(8, d.next().version());
        // a client that still held version 5 of it writes on top: no conflict, the next version
        d = resolver.decide(put("b", 1, 5, 0, A1).build(), null, "lww", new LastWriterWins(), NOW, 7);
        assertEquals(Status.APPLIED, d.result().status());
        assertEquals(8, d.next().version());
        // a baseVersion above the floor was never given by this server
        d = resolver.decide(put("b", 2, 9, 0, A1).build(), null, "lww", new LastWriterWins(), NOW, 7);
        assertEquals(Status.REJECTED, d.result().status());
        assertEquals("unknown_version", d.result().error().code());
        assertTrue(d.result().error().message().contains("current version 7"), d.result().error().message());
        // without a floor, as before: version 1, and the message for a record never written
        d = resolver.decide(put("b", 3, 1, 0, A1).build(), null, "lww", new LastWriterWins(), NOW);
        assertTrue(d.result().error().message().contains("current version 0: the server has never accepted"));
        assertEquals(1, resolver.decide(put("b", 4, 0, 0, A1).build(), null, "lww", new LastWriterWins(), NOW).next().version());
    }
}
