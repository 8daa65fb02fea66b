package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.SinkEvent;
import dev.idbsync.protocol.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A push's answer from stored outcomes and push results, on an in-memory stand-in for Ignite's caches. */
class PushAnswersTest {
    private static final String PUSH = "t1-abc-7";

    private final Map<String, String> outcomes = new HashMap<>();
    private final Map<String, String> pushResults = new HashMap<>();
    private final List<Set<String>> outcomeReads = new ArrayList<>();
    private RuntimeException igniteFails;
    private RuntimeException pushResultsFail;
    private int pushResultReads;

    private final PushAnswers.Source source = new PushAnswers.Source() {
        @Override
        public Map<String, String> outcomes(Set<String> keys) {
            if (igniteFails != null) {
                throw igniteFails;
            }
            outcomeReads.add(keys);
            Map<String, String> out = new HashMap<>();
            keys.forEach(k -> {
                if (outcomes.containsKey(k)) {
                    out.put(k, outcomes.get(k));
                }
            });
            return out;
        }

        @Override
        public String pushResult(String pushKey) {
            pushResultReads++;
            if (pushResultsFail != null) {
                throw pushResultsFail;
            }
            return pushResults.get(pushKey);
        }
    };
    private final PushAnswers answers = new PushAnswers(source);

    private static Change change(long seq) {
        return new Change("notes-app", "c1", seq, "notes", TextNode.valueOf("k" + seq), "\"k" + seq + "\"", Op.PUT,
                Json.MAPPER.createObjectNode().put("title", "t"), 0, 1, null, 1, 1);
    }

    private static List<Change> changes(long... seqs) {
        List<Change> out = new ArrayList<>();
        for (long s : seqs) {
            out.add(change(s));
        }
        return out;
    }

    private void stored(long seq, Result r, String by) {
        SinkEvent event = r.status() == Status.REJECTED ? null : new SinkEvent("notes-app/c1/" + seq, "notes-app", "notes",
                TextNode.valueOf("k"), "\"k\"", Op.PUT, Json.MAPPER.createObjectNode(), 1, "c1", seq, 1, 2, r.status(),
                null, null, null);
        outcomes.put("notes-app/c1/" + seq, new StoredOutcome(r, by, event, null).toJson());
    }

    private String body(List<Change> changes) {
        PushAnswers.Answer a = answers.answer(PUSH, changes);
        return assertInstanceOf(PushAnswers.Results.class, a, a.toString()).json();
    }

    @Test
    void theOutcomesThisPushDecidedAreAnsweredAsStoredInRequestOrderFromOneRead() {
        stored(2, Result.conflict(2, 4, Json.MAPPER.createObjectNode().put("title", "theirs"), "server-wins"), PUSH);
        stored(1, Result.applied(1, 1), PUSH);
        stored(3, Result.rejected(3, new ChangeError("schema", "/value/title", "must be a string")), PUSH);

        assertEquals("{\"results\":[{\"seq\":1,\"status\":\"applied\",\"version\":1},"
                + "{\"seq\":2,\"status\":\"conflict\",\"version\":4,\"value\":{\"title\":\"theirs\"},\"policy\":\"server-wins\"},"
                + "{\"seq\":3,\"status\":\"rejected\",\"error\":{\"code\":\"schema\",\"path\":\"/value/title\","
                + "\"message\":\"must be a string\"}}]}", body(changes(1, 2, 3)));
        assertEquals(List.of(Set.of("notes-app/c1/1", "notes-app/c1/2", "notes-app/c1/3")), outcomeReads);
        assertEquals(0, pushResultReads, "every change has an outcome of this push: no push result is read");
    }

    @Test
    void aPushWhoseChangesAllHaveOutcomesOfThisPushIsAnsweredWithoutReadingThePushResult() {
        stored(1, Result.applied(1, 1), PUSH);
        stored(2, Result.rejected(2, new ChangeError("schema", "/value/title", "must be a string")), PUSH);
        String expected = "{\"results\":[{\"seq\":1,\"status\":\"applied\",\"version\":1},"
                + "{\"seq\":2,\"status\":\"rejected\",\"error\":{\"code\":\"schema\",\"path\":\"/value/title\","
                + "\"message\":\"must be a string\"}}]}";
        assertEquals(expected, body(changes(1, 2)));
        assertEquals(0, pushResultReads);
        assertEquals(1, outcomeReads.size());

        // The push result is not read at all: a failing read of it does not matter.
        pushResultsFail = new IllegalStateException("connection lost");
        assertEquals(expected, body(changes(1, 2)));
        assertEquals(0, pushResultReads);
    }

    @Test
    void aPushWithAChangeRefusedStillReadsThePushResult() {
        stored(1, Result.applied(1, 1), PUSH);
        pushResults.put(PUSH, new PushResult(2, Status.PENDING, null).toJson());
        assertEquals("{\"results\":[{\"seq\":1,\"status\":\"applied\",\"version\":1},"
                + "{\"seq\":2,\"status\":\"pending\"}]}", body(changes(1, 2)));
        assertEquals(1, pushResultReads);

        pushResults.put(PUSH, new PushResult(2, Status.OUT_OF_ORDER, 1L).toJson());
        assertEquals("{\"results\":[{\"seq\":1,\"status\":\"applied\",\"version\":1},"
                + "{\"seq\":2,\"status\":\"out_of_order\",\"expectedSeq\":1}]}", body(changes(1, 2)));
        assertEquals(2, pushResultReads);

        // A refused change with another push's outcome: the refusal is what this push is answered.
        stored(2, Result.applied(2, 2), "t0-old-1");
        assertEquals("{\"results\":[{\"seq\":1,\"status\":\"applied\",\"version\":1},"
                + "{\"seq\":2,\"status\":\"out_of_order\",\"expectedSeq\":1}]}", body(changes(1, 2)));
        assertEquals(3, pushResultReads);

        pushResultsFail = new IllegalStateException("connection lost");
        assertEquals(new PushAnswers.Unavailable("the outcomes could not be read from Ignite; retrying the same request is safe"),
                answers.answer(PUSH, changes(1, 2)));
    }

    @Test
    void aPushWithADuplicateStillReadsThePushResult() {
        stored(1, Result.applied(1, 3), "t0-old-1");
        stored(2, Result.applied(2, 4), PUSH);
        assertEquals("{\"results\":[{\"seq\":1,\"status\":\"duplicate\",\"first\":\"applied\",\"version\":3},"
                + "{\"seq\":2,\"status\":\"applied\",\"version\":4}]}", body(changes(1, 2)));
        assertEquals(1, pushResultReads);

        pushResultsFail = new IllegalStateException("connection lost");
        assertEquals(new PushAnswers.Unavailable("the outcomes could not be read from Ignite; retrying the same request is safe"),
                answers.answer(PUSH, changes(1, 2)));
    }

    @Test
    void anUnreadableOutcomeTheRefusalCoversIsAnsweredByTheRefusal() {
        stored(1, Result.applied(1, 1), PUSH);
        outcomes.put("notes-app/c1/2", "[1,2]");
        pushResults.put(PUSH, new PushResult(2, Status.PENDING, null).toJson());
        assertEquals("{\"results\":[{\"seq\":1,\"status\":\"applied\",\"version\":1},"
                + "{\"seq\":2,\"status\":\"pending\"}]}", body(changes(1, 2)));
        assertEquals(1, pushResultReads);

        pushResults.remove(PUSH);
        assertEquals(new PushAnswers.Unavailable("an outcome could not be read; see the server's log"),
                answers.answer(PUSH, changes(1, 2)));
    }

    @Test
    void anOutcomeAnotherPushDecidedIsADuplicateWithTheFirstOutcomesFields() {
        stored(1, Result.applied(1, 3), "t0-old-1");
        stored(2, Result.conflict(2, 5, Json.MAPPER.createObjectNode().put("n", 1), "merge"), "t0-old-1");
        stored(3, Result.rejected(3, new ChangeError("too_large", null, "too big")), "t0-old-2");

        assertEquals("{\"results\":[{\"seq\":1,\"status\":\"duplicate\",\"first\":\"applied\",\"version\":3},"
                + "{\"seq\":2,\"status\":\"duplicate\",\"first\":\"conflict\",\"version\":5,\"value\":{\"n\":1},\"policy\":\"merge\"},"
                + "{\"seq\":3,\"status\":\"duplicate\",\"first\":\"rejected\",\"error\":{\"code\":\"too_large\","
                + "\"message\":\"too big\"}}]}", body(changes(1, 2, 3)));
    }

    @Test
    void withAClientHorizonAnOutOfOrderFromSeqOneSaysTheClientIsUnknown() {
        PushAnswers flagging = new PushAnswers(source, true);
        pushResults.put(PUSH, new PushResult(1, Status.OUT_OF_ORDER, 1L).toJson());
        assertEquals("{\"results\":[{\"seq\":5,\"status\":\"out_of_order\",\"expectedSeq\":1,\"unknownClient\":true},"
                + "{\"seq\":6,\"status\":\"out_of_order\",\"expectedSeq\":1,\"unknownClient\":true}]}",
                assertInstanceOf(PushAnswers.Results.class, flagging.answer(PUSH, changes(5, 6))).json());
        assertEquals("{\"results\":[{\"seq\":5,\"status\":\"out_of_order\",\"expectedSeq\":1},"
                + "{\"seq\":6,\"status\":\"out_of_order\",\"expectedSeq\":1}]}", body(changes(5, 6)),
                "without a horizon the answer is PROTOCOL.md 1.0's, unchanged");

        // A client the server knows (expectedSeq above 1) is not flagged, nor is any other status.
        stored(1, Result.applied(1, 1), PUSH);
        pushResults.put(PUSH, new PushResult(3, Status.OUT_OF_ORDER, 2L).toJson());
        assertEquals("{\"results\":[{\"seq\":1,\"status\":\"applied\",\"version\":1},"
                + "{\"seq\":3,\"status\":\"out_of_order\",\"expectedSeq\":2}]}",
                assertInstanceOf(PushAnswers.Results.class, flagging.answer(PUSH, changes(1, 3))).json());
    }

    @Test
    void pushesAckedTogetherAreAnsweredFromOneReadEachAsItWouldBeAlone() {
        stored(1, Result.applied(1, 1), PUSH);
        stored(2, Result.applied(2, 2), "t0-other-2");
        stored(3, Result.applied(3, 1), "t0-other-2");
        List<PushAnswers.Question> group = List.of(new PushAnswers.Question(PUSH, changes(1)),
                new PushAnswers.Question("t0-other-2", changes(2, 3)), new PushAnswers.Question("t0-retry-3", changes(1, 2)));
        List<PushAnswers.Answer> together = answers.answerAll(group);
        assertEquals(1, outcomeReads.size(), "one read for the three pushes");
        assertEquals(Set.of("notes-app/c1/1", "notes-app/c1/2", "notes-app/c1/3"), outcomeReads.get(0));
        for (int i = 0; i < group.size(); i++) {
            assertEquals(answers.answer(group.get(i).pushKey(), group.get(i).changes()), together.get(i), "push " + i);
        }
        assertEquals("{\"results\":[{\"seq\":1,\"status\":\"duplicate\",\"first\":\"applied\",\"version\":1},"
                + "{\"seq\":2,\"status\":\"duplicate\",\"first\":\"applied\",\"version\":2}]}",
                ((PushAnswers.Results) together.get(2)).json(), "a retry acked beside the pushes it repeats");

        igniteFails = new IllegalStateException("connection lost");
        PushAnswers.Unavailable down = new PushAnswers.Unavailable(
                "the outcomes could not be read from Ignite; retrying the same request is safe");
        assertEquals(List.of(down, down, down), answers.answerAll(group));
    }

    @Test
    void aChangeAckedWithoutAnOutcomeIsADuplicateAlone() {
        assertEquals("{\"results\":[{\"seq\":9,\"status\":\"duplicate\"}]}", body(changes(9)));
    }

    @Test
    void thePushResultAnswersEveryChangeFromItsSeqOn() {
        stored(1, Result.applied(1, 1), PUSH);
        pushResults.put(PUSH, new PushResult(2, Status.OUT_OF_ORDER, 1L).toJson());
        assertEquals("{\"results\":[{\"seq\":1,\"status\":\"applied\",\"version\":1},"
                + "{\"seq\":2,\"status\":\"out_of_order\",\"expectedSeq\":1},"
                + "{\"seq\":3,\"status\":\"out_of_order\",\"expectedSeq\":1}]}", body(changes(1, 2, 3)));

        pushResults.put(PUSH, new PushResult(1, Status.PENDING, null).toJson());
        assertEquals("{\"results\":[{\"seq\":1,\"status\":\"pending\"},{\"seq\":2,\"status\":\"pending\"}]}",
                body(changes(1, 2)));
    }

    @Test
    void anIgniteFailureIsUnavailableAndSaysRetryingIsSafe() {
        igniteFails = new IllegalStateException("connection lost");
        assertEquals(new PushAnswers.Unavailable("the outcomes could not be read from Ignite; retrying the same request is safe"),
                answers.answer(PUSH, changes(1)));
        igniteFails = null;
        pushResults.put(PUSH, "{\"fromSeq\":");
        assertEquals(new PushAnswers.Unavailable("the outcomes could not be read from Ignite; retrying the same request is safe"),
                answers.answer(PUSH, changes(1)));
    }

    @Test
    void anOutcomeIdbsyncDidNotWriteIsUnavailable() {
        outcomes.put("notes-app/c1/1", "[1,2]");
        assertEquals(new PushAnswers.Unavailable("an outcome could not be read; see the server's log"),
                answers.answer(PUSH, changes(1)));
    }
}
