package dev.idbsync.common.storm;

import org.apache.storm.tuple.Fields;

/**
 * Every stream id and tuple field of the topology, in one place. Tuples carry one typed value
 * ({@link #CHANGE} or {@link #RESULT}) plus the fields they are grouped by; bolts read them by
 * name, never by index.
 */
public final class TupleContract {
    /** Spout → validate: every change of every accepted push. */
    public static final String CHANGES_STREAM = "changes";
    /** Validate → sinks: changes that passed every per-change check. */
    public static final String VALID_STREAM = "valid";
    /** Validate → Ignite sink: changes that were rejected, with their {@code rejected} result. */
    public static final String REJECTED_STREAM = "rejected";

    public static final String DB = "db";
    public static final String STORE = "store";
    /** The key's canonical form: with db and store, a record's identity and its grouping key. */
    public static final String KEY = "key";
    public static final String CLIENT_ID = "clientId";
    /** A {@link dev.idbsync.protocol.Change}. */
    public static final String CHANGE = "change";
    /** A {@link dev.idbsync.protocol.Result}, on the rejected stream. */
    public static final String RESULT = "result";

    /** Grouping that sends every change of one record to one task. */
    public static final Fields RECORD_GROUPING = new Fields(DB, STORE, KEY);

    public static final Fields CHANGE_FIELDS = new Fields(DB, STORE, KEY, CLIENT_ID, CHANGE);
    public static final Fields REJECTED_FIELDS = new Fields(DB, STORE, KEY, CLIENT_ID, CHANGE, RESULT);

    private TupleContract() {
    }
}
