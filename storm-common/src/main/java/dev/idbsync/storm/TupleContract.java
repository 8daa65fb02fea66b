package dev.idbsync.storm;

import org.apache.storm.tuple.Fields;

/**
 * Every stream id and tuple field of the topology, in one place. Tuples carry one typed value
 * ({@link #CHANGE}, and {@link #RESULT} for a rejected change) plus the fields they are grouped
 * by; bolts read them by name, never by index.
 *
 * <pre>
 * http --changes--> validate --checked--> sequence --admitted--> resolve --resolved--> flume, files
 *                                            ^                      |
 *                                            +------decided---------+
 * </pre>
 */
public final class TupleContract {
    /** Spout → validate: every change of every accepted push. */
    public static final String CHANGES_STREAM = "changes";
    /** Validate → sequence: every change, with its {@code rejected} result when it failed a check. */
    public static final String CHECKED_STREAM = "checked";
    /** Sequence → resolve: the changes admitted in seq order. */
    public static final String ADMITTED_STREAM = "admitted";
    /** Resolve → sequence: a change was decided and is durable ({@link #OK}), or could not be made so. */
    public static final String DECIDED_STREAM = "decided";
    /** Resolve → the sinks after Ignite (Flume, files): one {@link #EVENT} per decided change. */
    public static final String RESOLVED_STREAM = "resolved";
    /** Resolve → the file sink: one {@link #ENTRY} per rejected change (the rejected-changes log). */
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
    /** A rejected-changes log entry, as JSON text. */
    public static final String ENTRY = "entry";
    /** When the push that sent the change is answered at the latest: its receive time + http.requestTimeoutMs (epoch ms). */
    public static final String ANSWERED_AT = "answeredAt";

    /** Grouping that sends every change of one record to one task. */
    public static final Fields RECORD_GROUPING = new Fields(DB, STORE, KEY);
    /** Grouping that sends every change of one client to one task, in order. */
    public static final Fields CLIENT_GROUPING = new Fields(DB, CLIENT_ID);

    public static final Fields CHANGE_FIELDS = new Fields(DB, STORE, KEY, CLIENT_ID, CHANGE, PUSH);
    public static final Fields CHECKED_FIELDS = new Fields(DB, STORE, KEY, CLIENT_ID, CHANGE, PUSH, RESULT);
    public static final Fields ADMITTED_FIELDS = new Fields(DB, STORE, KEY, CLIENT_ID, CHANGE, PUSH, RESULT, REDELIVER);
    public static final Fields DECIDED_FIELDS = new Fields(DB, CLIENT_ID, SEQ, PUSH, OK);
    /** {@link #REDELIVER} true: the event of a change decided before, delivered again. */
    public static final Fields RESOLVED_FIELDS = new Fields(DB, STORE, KEY, EVENT, REDELIVER, ANSWERED_AT);
    public static final Fields REJECTED_LOG_FIELDS = new Fields(DB, CLIENT_ID, ENTRY, REDELIVER, ANSWERED_AT);

    private TupleContract() {
    }
}
