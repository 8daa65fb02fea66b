package dev.idbsync.ignite;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A push's answer, built once Storm reported every tuple of it acked from what the bolts stored
 * in Ignite: each change's {@link StoredOutcome}, and the {@link PushResult} the sequencer left
 * if it refused the push part way (read only when some change has no outcome of this push).
 * One result per change, in request order
 * (docs/architecture.md, "How each result is built"). Thread-safe; holds no state.
 */
public final class PushAnswers {
    private static final Logger LOG = LoggerFactory.getLogger(PushAnswers.class);

    /** What the answers are read from: the outcomes and push results caches ({@link #over(SyncCaches)}). */
    public interface Source {
        /** The stored outcomes of these keys ({@link StoredOutcome#key}); missing keys have none. */
        Map<String, String> outcomes(Set<String> keys);

        /** The push's stored {@link PushResult}, or null. */
        String pushResult(String pushKey);
    }

    /** What a push is answered: {@link Results} (200) or {@link Unavailable} (503). */
    public sealed interface Answer permits Results, Unavailable {
    }

    /** 200: the body, {@code {"results": [...]}}. */
    public record Results(String json) implements Answer {
    }

    /** 503: Ignite could not be read, or held something idbsync did not write; the message says which. */
    public record Unavailable(String message) implements Answer {
    }

    private final Source source;
    private final boolean flagUnknownClients;

    public PushAnswers(Source source) {
        this(source, false);
    }

    /**
     * {@code flagUnknownClients}: an {@code out_of_order} answer with {@code expectedSeq} 1 also says
     * {@code "unknownClient": true} (on with a client horizon, {@code retention.clients}; off, the
     * answers are as PROTOCOL.md 1.0 shows them). The sequencer answers {@code expectedSeq} 1 only
     * when it holds nothing of the client: no mark, no seq in flight, and no outcome of seq 1 (its
     * catch-up read looks before it answers out_of_order), so the client was never seen or was
     * forgotten, and must not resend seqs it was answered for: they would be decided again.
     */
    public PushAnswers(Source source, boolean flagUnknownClients) {
        this.source = source;
        this.flagUnknownClients = flagUnknownClients;
    }

    /** The production source: Ignite's caches. */
    public static Source over(SyncCaches caches) {
        return new Source() {
            @Override
            public Map<String, String> outcomes(Set<String> keys) {
                return caches.outcomes().getAll(keys);
            }

            @Override
            public String pushResult(String pushKey) {
                return caches.pushResults().get(pushKey);
            }
        };
    }

    /**
     * Reads the outcomes of the push's changes with one getAll, and answers. The push result is
     * read too (a second round trip) only when some change has no outcome of this push.
     */
    public Answer answer(String pushKey, List<Change> changes) {
        return answerAll(List.of(new Question(pushKey, changes))).get(0);
    }

    /** A push to answer: its key and its changes in request order. */
    public record Question(String pushKey, List<Change> changes) {
    }

    /**
     * Answers several pushes, in the order given, with one read of all their outcomes: pushes
     * acked together (a group commit acks a batch's tuples at once) cost one round trip, not one
     * each. Each answer is what {@link #answer} would give alone; a failed read answers every
     * push of the group 503.
     */
    public List<Answer> answerAll(List<Question> pushes) {
        Set<String> keys = new TreeSet<>();
        for (Question q : pushes) {
            for (Change c : q.changes()) {
                keys.add(StoredOutcome.key(c));
            }
        }
        Map<String, String> outcomes;
        try {
            outcomes = source.outcomes(keys);
        } catch (RuntimeException e) {
            Answer a = unreadable(pushes.get(0).pushKey() + (pushes.size() > 1 ? " and " + (pushes.size() - 1) + " more" : ""), e);
            return pushes.stream().map(q -> a).toList();
        }
        List<Answer> answers = new ArrayList<>(pushes.size());
        for (Question q : pushes) {
            answers.add(answer(q.pushKey(), q.changes(), outcomes));
        }
        return answers;
    }

    private Answer answer(String pushKey, List<Change> changes, Map<String, String> outcomes) {
        // Each outcome is parsed once; one that cannot be parsed fails the answer only where the
        // push result does not cover its change, as before.
        Object[] stored = new Object[changes.size()];
        boolean allThisPush = !changes.isEmpty();
        for (int i = 0; i < stored.length; i++) {
            String json = outcomes.get(StoredOutcome.key(changes.get(i)));
            try {
                stored[i] = json == null ? null : StoredOutcome.answerOf(json);
            } catch (RuntimeException e) {
                stored[i] = e;
            }
            if (!(stored[i] instanceof StoredOutcome o) || StoredOutcome.answersDuplicate(o, pushKey)) {
                allThisPush = false;
            }
        }
        // Skipping the push result when every change has an outcome of this push changes no
        // answer. The sequencer writes a push result (putIfAbsent) only when it refuses a change
        // of the push, with fromSeq the seq of that change, so that change is in this list. It
        // does not emit a refused change to the resolver, the only writer of outcomes; the spout
        // never emits a change twice, and push keys are never reused. So the refused change has
        // no outcome whose by is this push: it has none, or another push's. When every change
        // has one, nothing was refused and there is no push result to read. An empty push reads
        // it as before.
        PushResult refused = null;
        if (!allThisPush) {
            try {
                String r = source.pushResult(pushKey);
                refused = r == null ? null : PushResult.fromJson(r);
            } catch (RuntimeException e) {
                return unreadable(pushKey, e);
            }
        }
        ObjectNode body = Json.MAPPER.createObjectNode();
        ArrayNode results = body.putArray("results");
        try {
            for (int i = 0; i < stored.length; i++) {
                Change c = changes.get(i);
                if (stored[i] instanceof RuntimeException e && (refused == null || !refused.covers(c.seq()))) {
                    throw e;
                }
                ObjectNode r = result(c.seq(), pushKey, stored[i] instanceof StoredOutcome o ? o : null, refused);
                if (flagUnknownClients && r.path("expectedSeq").asLong() == 1) {
                    r.put("unknownClient", true);
                }
                results.add(r);
            }
        } catch (RuntimeException e) {
            LOG.error("push {}: an outcome in Ignite cannot be read", pushKey, e);
            return new Unavailable("an outcome could not be read; see the server's log");
        }
        return new Results(body.toString());
    }

    private static Unavailable unreadable(String pushKey, RuntimeException e) {
        LOG.warn("reading the outcomes of push {} from Ignite failed: {}", pushKey, e.toString());
        return new Unavailable("the outcomes could not be read from Ignite; retrying the same request is safe");
    }

    /**
     * One change's result: the push result's status from its {@code fromSeq} on; else the stored
     * outcome as it is when this push decided it; else {@code duplicate}, with {@code first} and
     * the first outcome's {@code version}, {@code value}, {@code error} and {@code policy} where it
     * has them, or alone when the outcome has expired.
     */
    static ObjectNode result(long seq, String pushKey, StoredOutcome stored, PushResult refused) {
        ObjectNode r = Json.MAPPER.createObjectNode();
        r.put("seq", seq);
        if (refused != null && refused.covers(seq)) {
            r.put("status", refused.status().wire());
            if (refused.expectedSeq() != null) {
                r.put("expectedSeq", refused.expectedSeq());
            }
            return r;
        }
        if (!StoredOutcome.answersDuplicate(stored, pushKey)) {
            return Json.MAPPER.valueToTree(stored.result());
        }
        r.put("status", Status.DUPLICATE.wire());
        if (stored != null) {
            Result first = stored.result();
            r.put("first", first.status().wire());
            if (first.version() != null) {
                r.put("version", first.version());
            }
            if (first.value() != null) {
                r.set("value", first.value());
            }
            if (first.error() != null) {
                r.set("error", Json.MAPPER.valueToTree(first.error()));
            }
            if (first.policy() != null) {
                r.put("policy", first.policy());
            }
        }
        return r;
    }
}
