package dev.idbsync.sequence;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * Keeps each client's changes in {@code seq} order (PROTOCOL.md): it admits a change only when
 * it is the client's next seq, and answers the others {@code duplicate}, {@code pending} or
 * {@code out_of_order}. Pure: no Storm, no I/O; the sequencer bolt owns one instance and is the
 * only one to touch it (the bolt's tuples are grouped by db and clientId).
 *
 * <p>Per client it knows {@code decided} (every seq up to it is decided and durable: the
 * client's mark, kept in Ignite) and the seqs admitted since, each with the push that brought it.
 * A change the resolver decided moves the mark on; one the resolver could not make durable
 * ("released"), or one that stayed admitted longer than {@code inFlightTimeoutMs}, is taken back
 * so that the client's retry can be admitted again. Admitting a seq twice is safe: the resolver
 * decides each (db, clientId, seq) once and answers a second attempt from its stored outcome.
 */
public final class Sequencer {
    /**
     * What happens to one change. {@code DUPLICATE}: decided before (at or under the mark, or
     * decided in flight); it goes on to the resolver as a redelivery, and what its push is
     * answered is decided from its stored outcome in one place (idbsync-ignite's
     * {@code StoredOutcome.answersDuplicate}).
     */
    public enum Verdict { ADMIT, DUPLICATE, PENDING, OUT_OF_ORDER }

    /** A verdict, with the seq a client must resend from for OUT_OF_ORDER. */
    public record Outcome(Verdict verdict, long expectedSeq) {
        static final Outcome ADMIT = new Outcome(Verdict.ADMIT, 0);
        static final Outcome DUPLICATE = new Outcome(Verdict.DUPLICATE, 0);
        static final Outcome PENDING = new Outcome(Verdict.PENDING, 0);
    }

    private static final class Admitted {
        final String push;
        final long at;
        boolean decided;

        Admitted(String push, long at) {
            this.push = push;
            this.at = at;
        }
    }

    private static final class Client {
        long decided;
        long next;
        /**
         * The {@code next} at which a catch-up last stopped at a seq without an outcome, else -1:
         * until {@code next} moves, another push past it reads nothing.
         */
        long caughtUpAt = -1;
        final TreeMap<Long, Admitted> inFlight = new TreeMap<>();

        Client(long mark) {
            decided = mark;
            next = mark + 1;
        }
    }

    private final long inFlightTimeoutMs;
    private final int maxClients;
    private final ToLongFunction<String> loadMark;
    private final Map<String, Client> clients;
    /** Pushes that were refused part way: their later changes get the same answer. */
    private final BlockedPushes blockedPushes = new BlockedPushes();
    /** Marks that moved since they were last stored. */
    private final Map<String, Long> dirtyMarks = new HashMap<>();
    private long lastNow;

    /**
     * @param loadMark the client's stored mark (0 when none), read the first time a client is seen
     */
    public Sequencer(long inFlightTimeoutMs, int maxClients, ToLongFunction<String> loadMark) {
        this.inFlightTimeoutMs = inFlightTimeoutMs;
        this.maxClients = maxClients;
        this.loadMark = loadMark;
        this.clients = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Client> eldest) {
                return size() > Sequencer.this.maxClients && eldest.getValue().inFlight.isEmpty();
            }
        };
    }

    /** The client key of the marks cache: {@code db/clientId}. */
    public static String clientKey(String db, String clientId) {
        return db + "/" + clientId;
    }

    /**
     * Decides what happens to change {@code seq} of {@code push}. Once a push is refused
     * (pending or out of order), every later change of it gets the same answer.
     */
    public Outcome offer(String clientKey, long seq, String push, long now) {
        lastNow = now;
        Outcome blocked = blockedPushes.get(push);
        if (blocked != null) {
            return blocked;
        }
        Client c = client(clientKey);
        expire(c, now);
        if (seq <= c.decided) {
            return Outcome.DUPLICATE;
        }
        if (seq < c.next) {
            Admitted a = c.inFlight.get(seq);
            if (a == null || a.decided) {
                return Outcome.DUPLICATE;
            }
            if (a.push.equals(push)) {
                return Outcome.ADMIT; // the same push again (a replay): the resolver answers it once
            }
            return block(push, Outcome.PENDING);
        }
        if (seq > c.next) {
            return block(push, new Outcome(Verdict.OUT_OF_ORDER, c.next));
        }
        if (!continuesItsPush(c, push)) {
            for (Admitted a : c.inFlight.values()) {
                if (!a.decided && !a.push.equals(push)) {
                    // An earlier push of this client is still being processed; admitting past it
                    // could apply this change before that push's, should that one fail.
                    return block(push, Outcome.PENDING);
                }
            }
        }
        c.inFlight.put(seq, new Admitted(push, now));
        c.next = seq + 1;
        return Outcome.ADMIT;
    }

    /** The resolver made change {@code seq} durable. */
    public void decided(String clientKey, long seq) {
        Client c = clients.get(clientKey);
        if (c == null) {
            return; // forgotten; its mark is read again when the client comes back
        }
        Admitted a = c.inFlight.get(seq);
        if (a != null) {
            a.decided = true;
        }
        long before = c.decided;
        while (!c.inFlight.isEmpty() && c.inFlight.firstEntry().getValue().decided) {
            c.decided = c.inFlight.pollFirstEntry().getKey();
        }
        if (c.decided != before) {
            dirtyMarks.put(clientKey, c.decided);
        }
    }

    /**
     * Every seq up to {@code seq} is known to be decided (their outcomes are in Ignite): the mark
     * moves there if it was behind, as after a crash, when the stored mark lags.
     */
    public void decidedUpTo(String clientKey, long seq) {
        Client c = client(clientKey);
        if (seq > c.decided && c.inFlight.isEmpty()) {
            c.decided = seq;
            c.next = seq + 1;
            dirtyMarks.put(clientKey, seq);
        }
    }

    /** Which of a client's seqs have an outcome in Ignite, i.e. were decided. */
    @FunctionalInterface
    public interface DecidedLookup {
        /** The seqs of {@code seqs} (ascending) that have an outcome; may throw when Ignite fails. */
        Set<Long> decided(String clientKey, List<Long> seqs);
    }

    /** Seqs read by a catch-up's first look: a seq that was never decided costs one read this small. */
    public static final int CATCH_UP_FIRST_CHUNK = 16;
    /** Most seqs read at once as a catch-up goes on; chunks double up to this. */
    public static final int CATCH_UP_MAX_CHUNK = 1024;
    /**
     * Most seqs one catch-up moves the mark over. The stored mark lags by at most about one
     * second of decided changes (marks are stored once a second), far fewer than this; a longer
     * lag is caught up by the client's next pushes.
     */
    public static final int MAX_CATCH_UP = 10_000;

    /**
     * Change {@code seq} is past the client's next seq: before it is answered out_of_order, look
     * whether the seqs in between were decided already (their outcomes are in Ignite). That
     * happens when the stored mark lags, after a crash: the client was answered for them and may
     * have dropped them, so asking it to resend them would be wrong. The mark moves over the
     * decided ones.
     *
     * <p>The seq comes from the caller and may be anything, so what it costs is bounded by what
     * is found, not by the seq: seqs are read from the next one on in chunks of
     * {@link #CATCH_UP_FIRST_CHUNK}, doubling up to {@link #CATCH_UP_MAX_CHUNK}, and the reading
     * stops at the first seq without an outcome (a seq is decided only after every one before
     * it). When it stops there, the client remembers its next seq, and pushes past it read
     * nothing until that moves. A client admitted seqs since it was loaded has no lagging mark,
     * so nothing is read for it either.
     *
     * @return how many seqs were looked up
     */
    public int catchUp(String clientKey, long seq, DecidedLookup lookup) {
        Client c = client(clientKey);
        if (seq <= c.next || !c.inFlight.isEmpty() || c.caughtUpAt == c.next) {
            return 0;
        }
        long from = c.next;
        CatchUpRead r = CatchUpRead.of(clientKey, from, Math.min(seq - 1, from + MAX_CATCH_UP - 1), lookup);
        if (r.decided() >= from) {
            decidedUpTo(clientKey, r.decided());
        }
        if (r.stoppedAtMissing()) {
            c.caughtUpAt = c.next;
        }
        return r.read();
    }

    /** Most in-flight seqs {@link #settleInFlight} reads for one change. */
    public static final int MAX_SETTLE = 1024;

    /**
     * Change {@code seq} of {@code push} would be answered {@code pending} because seqs of another
     * push are in flight and not reported decided: before it is, look whether they have outcomes
     * in Ignite, and mark those that do decided. The resolver's {@code decided} notice travels apart
     * from Storm's acks, so a client that sends its next push the moment the previous one is
     * answered can get here before the notice does; an outcome exists only once the resolver has
     * committed the change, so finding one is exactly what the notice would have said.
     *
     * <p>Nothing is read unless {@link #offer} would answer {@code pending} (and never for a push
     * refused before, a client not in memory, a seq decided or past {@code next}); what is read is
     * the undecided seqs of other pushes that make it so, in seq order, at most
     * {@link #MAX_SETTLE}: one read per push that would be refused (a push past the first 1,024
     * of a larger one in flight is answered {@code pending} as before, and its retry reads again).
     *
     * @return how many seqs were looked up
     */
    public int settleInFlight(String clientKey, long seq, String push, DecidedLookup lookup) {
        Client c = clients.get(clientKey);
        if (c == null || c.inFlight.isEmpty() || blockedPushes.contains(push)) {
            return 0;
        }
        // No expire(c, now) here: offer runs it next, and a seq it would take back that has an
        // outcome is decided all the same.
        if (seq <= c.decided || seq > c.next || seq == c.next && continuesItsPush(c, push)) {
            return 0;
        }
        if (seq < c.next) {
            Admitted a = c.inFlight.get(seq);
            if (a == null || a.decided || a.push.equals(push)) {
                return 0; // duplicate or a replay: not pending
            }
        }
        List<Long> waits = new ArrayList<>();
        for (Map.Entry<Long, Admitted> e : c.inFlight.headMap(seq, true).entrySet()) {
            if (!e.getValue().decided && !e.getValue().push.equals(push)) {
                waits.add(e.getKey());
                if (waits.size() == MAX_SETTLE) {
                    break;
                }
            }
        }
        if (waits.isEmpty()) {
            return 0;
        }
        for (long s : lookup.decided(clientKey, waits)) {
            decided(clientKey, s);
        }
        return waits.size();
    }

    /** The client's last decided seq (its mark), or -1 when the client is not in memory; reads nothing. */
    public long mark(String clientKey) {
        Client c = clients.get(clientKey);
        return c == null ? -1 : c.decided;
    }

    /** The seq the client must send next, as far as this sequencer knows. */
    public long next(String clientKey) {
        return client(clientKey).next;
    }

    /** The resolver could not make change {@code seq} of {@code push} durable: take it back. */
    public void released(String clientKey, long seq, String push) {
        Client c = clients.get(clientKey);
        if (c == null) {
            return;
        }
        Admitted a = c.inFlight.get(seq);
        if (a != null && !a.decided && a.push.equals(push)) {
            rollBack(c, seq);
        }
    }

    /** Marks that moved since the last call, to be stored; the map is handed over and cleared. */
    public Map<String, Long> takeDirtyMarks() {
        Map<String, Long> out = new HashMap<>(dirtyMarks);
        dirtyMarks.clear();
        return out;
    }

    /** Forgets the pushes refused before {@code before}; their clients retry with new pushes. */
    public void forgetBlockedPushes(long before) {
        blockedPushes.forgetBefore(before);
    }

    /** Whether a change of this push was refused already. */
    public boolean blocked(String push) {
        return blockedPushes.contains(push);
    }

    int clientCount() {
        return clients.size();
    }

    /**
     * The client's last admitted seq is {@code push}'s own: the next change of a push being
     * admitted, the common case, known without a look at every seq in flight. When the push's first
     * change was admitted no other push had an undecided seq in flight, and none was admitted since
     * (it would have found this one's), so none can be pending before it.
     */
    private static boolean continuesItsPush(Client c, String push) {
        Map.Entry<Long, Admitted> last = c.inFlight.lastEntry();
        return last != null && last.getValue().push.equals(push);
    }

    private Client client(String key) {
        Client c = clients.get(key);
        if (c == null) {
            c = new Client(loadMark.applyAsLong(key));
            clients.put(key, c);
        }
        return c;
    }

    private Outcome block(String push, Outcome o) {
        return blockedPushes.block(push, o, lastNow);
    }

    private void expire(Client c, long now) {
        for (Iterator<Map.Entry<Long, Admitted>> it = c.inFlight.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<Long, Admitted> e = it.next();
            if (!e.getValue().decided && now - e.getValue().at > inFlightTimeoutMs) {
                rollBack(c, e.getKey());
                return;
            }
        }
    }

    private static void rollBack(Client c, long fromSeq) {
        c.inFlight.tailMap(fromSeq, true).clear();
        c.next = fromSeq;
    }
}
