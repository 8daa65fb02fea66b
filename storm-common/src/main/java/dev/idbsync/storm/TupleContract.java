package dev.idbsync.storm;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.SinkEvent;
import org.apache.storm.tuple.Fields;
import org.apache.storm.tuple.Tuple;
import org.apache.storm.tuple.Values;

/**
 * Every stream id and tuple field of the topology, in one place, and one record per stream that
 * is the only way to build a tuple's values ({@code values()}) and to read a tuple
 * ({@code of(tuple)}, by field name). Tuples carry one typed value ({@link #CHANGE},
 * {@link #EVENT}, {@link #ENTRY}) plus the fields they are grouped by, which the record derives
 * from that value, so they cannot disagree with it.
 *
 * <pre>
 * http --changes--> validate --checked--> sequence --admitted--> resolve --resolved, rejectedLog--> flume, files
 *                                            ^                      |
 *                                            +------decided---------+
 * </pre>
 *
 * <p>On the wire between workers every field is a String, a boxed primitive or a type the
 * topology registers with {@link JsonKryoSerializer} ({@link Change}, {@link Result},
 * {@link SinkEvent}, {@link ObjectNode}); the records themselves never travel.
 */
public final class TupleContract {
    /** Spout → validate: every change of every accepted push ({@link Received}). */
    public static final String CHANGES_STREAM = "changes";
    /** Validate → sequence: every change, with its {@code rejected} result when it failed a check ({@link Checked}). */
    public static final String CHECKED_STREAM = "checked";
    /** Sequence → resolve: the changes admitted in seq order ({@link Admitted}). */
    public static final String ADMITTED_STREAM = "admitted";
    /** Resolve → sequence: a change was decided and is durable ({@link #OK}), or could not be made so ({@link Decided}). */
    public static final String DECIDED_STREAM = "decided";
    /** Resolve → the sinks after Ignite (Flume, files): one {@link #EVENT} per decided change ({@link Resolved}). */
    public static final String RESOLVED_STREAM = "resolved";
    /** Resolve → the file sink: one {@link #ENTRY} per rejected change, the rejected-changes log ({@link RejectedEntry}). */
    public static final String REJECTED_LOG_STREAM = "rejectedLog";

    public static final String DB = "db";
    public static final String STORE = "store";
    /** The key's canonical form: with db and store, a record's identity and its grouping key. */
    public static final String KEY = "key";
    public static final String CLIENT_ID = "clientId";
    /** A {@link dev.idbsync.protocol.Change}. */
    public static final String CHANGE = "change";
    /** The push a change came in: a key unique across spout tasks and restarts. */
    public static final String PUSH = "push";
    /** A {@link dev.idbsync.protocol.Result}: the {@code rejected} result of a change that failed a check, else null. */
    public static final String RESULT = "result";
    public static final String SEQ = "seq";
    /** True when the change was decided and is durable, false when it was released undecided. */
    public static final String OK = "ok";
    /** On {@code admitted}: true for a change decided before, whose event is only delivered again. */
    public static final String REDELIVER = "redeliver";
    /** A {@link dev.idbsync.protocol.SinkEvent}. */
    public static final String EVENT = "event";
    /** A rejected-changes log entry, an {@link ObjectNode} (the JSON of {@code RejectedLog.entry}). */
    public static final String ENTRY = "entry";
    /**
     * When the push that sent the change is answered at the latest, its deadline (epoch ms): when
     * the spout emitted its first change + http.requestTimeoutMs. Past it, the resolver no longer
     * starts deciding the change, and a sink no longer waits for room for it.
     */
    public static final String ANSWERED_AT = "answeredAt";

    /**
     * The spout's direct stream of probes: a tuple the spout sends to one task of a worker that
     * was lost and accepts connections again; every bolt acks it and does nothing else. Its ack
     * tells the spout that Storm's connection to that worker works (see the spout's PeerWorkers).
     */
    public static final String PROBE_STREAM = "probe";
    /** On {@link #PROBE_STREAM}: the worker probed, host:port (for logs). */
    public static final String WORKER = "worker";
    public static final Fields PROBE_FIELDS = new Fields(WORKER);

    /** Whether the tuple is a probe, which a bolt only acks. */
    public static boolean isProbe(Tuple t) {
        return PROBE_STREAM.equals(t.getSourceStreamId());
    }

    /** Grouping that sends every change of one record to one task. */
    public static final Fields RECORD_GROUPING = new Fields(DB, STORE, KEY);
    /** Grouping that sends every change of one client to one task, in order. */
    public static final Fields CLIENT_GROUPING = new Fields(DB, CLIENT_ID);

    private TupleContract() {
    }

    /**
     * On {@link #CHANGES_STREAM}: a change of an accepted push, as the spout received it, with its
     * push's deadline {@code answeredAt} ({@link #ANSWERED_AT}), which the next streams carry on.
     */
    public record Received(Change change, String push, long answeredAt) {
        public static final Fields FIELDS = new Fields(DB, STORE, KEY, CLIENT_ID, CHANGE, PUSH, ANSWERED_AT);

        public static Received of(Tuple t) {
            return new Received((Change) t.getValueByField(CHANGE), t.getStringByField(PUSH), t.getLongByField(ANSWERED_AT));
        }

        /** The change after validation: {@code rejected} is its result when it failed a check, else null. */
        public Checked checked(Result rejected) {
            return new Checked(change, push, rejected, answeredAt);
        }

        public Values values() {
            return new Values(change.db(), change.store(), change.keyString(), change.clientId(), change, push, answeredAt);
        }
    }

    /** On {@link #CHECKED_STREAM}: a change with its {@code rejected} result when it failed a check, else null. */
    public record Checked(Change change, String push, Result rejected, long answeredAt) {
        public static final Fields FIELDS = new Fields(DB, STORE, KEY, CLIENT_ID, CHANGE, PUSH, RESULT, ANSWERED_AT);

        public static Checked of(Tuple t) {
            return new Checked((Change) t.getValueByField(CHANGE), t.getStringByField(PUSH),
                    (Result) t.getValueByField(RESULT), t.getLongByField(ANSWERED_AT));
        }

        /** The change admitted by the sequencer; {@code redeliver} when it was decided before. */
        public Admitted admitted(boolean redeliver) {
            return new Admitted(change, push, rejected, redeliver, answeredAt);
        }

        public Values values() {
            return new Values(change.db(), change.store(), change.keyString(), change.clientId(), change, push, rejected,
                    answeredAt);
        }
    }

    /**
     * On {@link #ADMITTED_STREAM}: a change admitted in seq order; {@code redeliver} marks one
     * decided before, whose stored event is only delivered again.
     */
    public record Admitted(Change change, String push, Result rejected, boolean redeliver, long answeredAt) {
        public static final Fields FIELDS = new Fields(DB, STORE, KEY, CLIENT_ID, CHANGE, PUSH, RESULT, REDELIVER, ANSWERED_AT);

        public static Admitted of(Tuple t) {
            return new Admitted((Change) t.getValueByField(CHANGE), t.getStringByField(PUSH),
                    (Result) t.getValueByField(RESULT), t.getBooleanByField(REDELIVER), t.getLongByField(ANSWERED_AT));
        }

        /** The resolver's notice to the sequencer: decided and durable ({@code ok}), or released undecided. */
        public Decided decided(boolean ok) {
            return new Decided(change.db(), change.clientId(), change.seq(), push, ok);
        }

        public Values values() {
            return new Values(change.db(), change.store(), change.keyString(), change.clientId(), change, push, rejected,
                    redeliver, answeredAt);
        }
    }

    /** On {@link #DECIDED_STREAM}: the change {@code seq} of a client was decided and is durable ({@code ok}), or was released undecided. */
    public record Decided(String db, String clientId, long seq, String push, boolean ok) {
        public static final Fields FIELDS = new Fields(DB, CLIENT_ID, SEQ, PUSH, OK);

        public static Decided of(Tuple t) {
            return new Decided(t.getStringByField(DB), t.getStringByField(CLIENT_ID), t.getLongByField(SEQ),
                    t.getStringByField(PUSH), t.getBooleanByField(OK));
        }

        public Values values() {
            return new Values(db, clientId, seq, push, ok);
        }
    }

    /**
     * What the sinks after Ignite get ({@link Resolved} or {@link RejectedEntry}): {@code redeliver}
     * for a change decided before, and the deadline of the push that sent it, {@code answeredAt}
     * (a retry's for a redelivery).
     */
    public sealed interface Delivery permits Resolved, RejectedEntry {
        boolean redeliver();

        long answeredAt();

        Values values();
    }

    /** A tuple of {@link #RESOLVED_STREAM} or {@link #REJECTED_LOG_STREAM}, by the stream it came on. */
    public static Delivery delivery(Tuple t) {
        String stream = t.getSourceStreamId();
        if (RESOLVED_STREAM.equals(stream)) {
            return Resolved.of(t);
        }
        if (REJECTED_LOG_STREAM.equals(stream)) {
            return RejectedEntry.of(t);
        }
        throw new IllegalArgumentException("a tuple of stream " + stream + " is not for a sink after Ignite; expected "
                + RESOLVED_STREAM + " or " + REJECTED_LOG_STREAM);
    }

    /** On {@link #RESOLVED_STREAM}: the event of a decided change. */
    public record Resolved(SinkEvent event, boolean redeliver, long answeredAt) implements Delivery {
        /** {@link #REDELIVER} true: the event of a change decided before, delivered again. */
        public static final Fields FIELDS = new Fields(DB, STORE, KEY, EVENT, REDELIVER, ANSWERED_AT);

        public static Resolved of(Tuple t) {
            return new Resolved((SinkEvent) t.getValueByField(EVENT), t.getBooleanByField(REDELIVER),
                    t.getLongByField(ANSWERED_AT));
        }

        @Override
        public Values values() {
            return new Values(event.db(), event.store(), event.keyString(), event, redeliver, answeredAt);
        }
    }

    /**
     * On {@link #REJECTED_LOG_STREAM}: the rejected-changes log entry of a rejected change
     * ({@code RejectedLog.entry}: {@code eventId, db, clientId, seq, change, error, at}).
     *
     * <p>The entry travels as a tree, not as its text: the file sink needs its {@code db} and
     * {@code at} for the partition and would otherwise parse it again. Its line is
     * {@code entry.toString()}, the same text the resolver stores in Ignite; across workers
     * {@link JsonKryoSerializer} writes and reads it with {@link dev.idbsync.protocol.Json#MAPPER},
     * which gives the same text back (the tree was parsed with that mapper in the first place,
     * and a redelivered entry is read back from its stored outcome the same way).
     */
    public record RejectedEntry(ObjectNode entry, boolean redeliver, long answeredAt) implements Delivery {
        public static final Fields FIELDS = new Fields(DB, CLIENT_ID, ENTRY, REDELIVER, ANSWERED_AT);

        public static RejectedEntry of(Tuple t) {
            return new RejectedEntry((ObjectNode) t.getValueByField(ENTRY), t.getBooleanByField(REDELIVER),
                    t.getLongByField(ANSWERED_AT));
        }

        @Override
        public Values values() {
            return new Values(entry.get("db").asText(), entry.get("clientId").asText(), entry, redeliver, answeredAt);
        }
    }
}
