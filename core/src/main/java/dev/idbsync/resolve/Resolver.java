package dev.idbsync.resolve;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.Result;
import java.util.List;
import java.util.Objects;

/**
 * Decides what one change does to its record: PROTOCOL.md's conflict rule, its
 * {@code unknown_version} rule and the store's {@link ConflictPolicy}. Pure: no clock (the
 * caller passes {@code serverNow}), no I/O, no state; the same inputs give an equal
 * {@link Decision}. The caller must decide the changes of one record one at a time, in the order
 * it accepts them, each against the state the previous decision left.
 *
 * <p>The rules, in order:
 * <ol>
 * <li>A {@code baseVersion} above the record's current version (0 for a record never written)
 *     is {@code rejected} with {@code unknown_version}; the record is untouched.</li>
 * <li>The change <b>conflicts</b> when a write of another client in the record's history has a
 *     version above {@code baseVersion}. A client's own writes never conflict with its later
 *     changes. The history keeps at most {@link RecordState#HISTORY} entries by folding older
 *     writes together (see docs/conflicts.md); a folded entry of several clients counts as another
 *     client's, and so do writes a history does not reach back to.</li>
 * <li>Without a conflict the change is applied: a new version, {@code applied}.</li>
 * <li>With one, the policy decides: keep the stored record ({@code conflict} with the stored
 *     value), apply the change ({@code applied}), or store a value of its own (a new version,
 *     unless it equals the stored value; {@code applied} when it equals the change's value,
 *     else {@code conflict} with it).</li>
 * </ol>
 */
public final class Resolver {

    /**
     * @param change     the incoming change, with its request's sentAt and receive time
     * @param current    the record as stored now (possibly a tombstone), or null when it has
     *                   never been written
     * @param policyName the store's policy as configured ({@code lww}, {@code custom:com.x.Y}, ...),
     *                   reported to the client in a {@code conflict} result
     * @param policy     the store's policy
     * @param serverNow  the server's clock (epoch ms), stored as the new version's serverTs
     * @return the client's result, and the record's next state when a new version was made
     * @throws IllegalStateException when the policy returns null
     */
    public Decision decide(Change change, RecordState current, String policyName, ConflictPolicy policy,
                           long serverNow) {
        return decide(change, current, policyName, policy, serverNow, 0);
    }

    /**
     * As {@link #decide(Change, RecordState, String, ConflictPolicy, long)}, for a db whose
     * expired tombstones were removed: a record that is not there counts as being at version
     * {@code absentVersion} (the highest version a removed tombstone of the db had; 0 when none
     * was removed), so a key written again after its tombstone expired gets a version above any
     * it had before, and a client that still holds an older version sees the new one as newer.
     */
    public Decision decide(Change change, RecordState current, String policyName, ConflictPolicy policy,
                           long serverNow, long absentVersion) {
        Objects.requireNonNull(change, "change");
        Objects.requireNonNull(policy, "policy");
        long currentVersion = current == null ? absentVersion : current.version();
        if (change.baseVersion() > currentVersion) {
            return new Decision(Result.rejected(change.seq(), unknownVersion(change, current, absentVersion)), null);
        }
        boolean foldOwnRuns = foldsOwnRuns(policy);
        List<Write> others = othersSinceBase(change, current);
        if (others.isEmpty()) {
            return apply(change, current, serverNow, absentVersion, foldOwnRuns);
        }
        // The policy gets copies: whatever it does to them cannot touch the record or the change.
        Conflict conflict = new Conflict(copy(change), change.correctedTs(), copy(current), others);
        Resolution resolution = policy.resolve(conflict);
        if (resolution == null) {
            throw new IllegalStateException("conflict policy " + policyName + " (" + policy.getClass().getName()
                    + ") returned no resolution for " + change.eventId()
                    + "; a policy must return keepStored(), applyChange() or store(value)");
        }
        if (resolution instanceof Resolution.KeepStored) {
            return new Decision(Result.conflict(change.seq(), current.version(), storedValue(current), policyName),
                    null);
        }
        if (resolution instanceof Resolution.ApplyChange) {
            return apply(change, current, serverNow, absentVersion, foldOwnRuns);
        }
        // a copy: the policy may hold on to the node it returned
        return store(change, current, ((Resolution.StoreValue) resolution).value().deepCopy(), policyName,
                serverNow, foldOwnRuns);
    }

    /**
     * The built-in policies that look at no write of the history but whether there is one of
     * another client ({@link History#append(List, Write, boolean)}): their records keep a run of
     * one client's writes as one entry.
     */
    static boolean foldsOwnRuns(ConflictPolicy policy) {
        return policy instanceof LastWriterWins || policy instanceof ServerWins || policy instanceof ClientWins;
    }

    /** The writes of other clients since the change's baseVersion, oldest first; see {@link History#othersSince}. */
    static List<Write> othersSinceBase(Change change, RecordState current) {
        return History.othersSince(current, change.baseVersion(), change.clientId());
    }

    private static ChangeError unknownVersion(Change change, RecordState current, long absentVersion) {
        String message = current == null && absentVersion == 0
                ? "baseVersion " + change.baseVersion() + " is above the record's current version 0: the server has"
                + " never accepted a write to this record; send baseVersion 0 for a record the client has never"
                + " seen from the server"
                : current == null
                ? "baseVersion " + change.baseVersion() + " is above the record's current version " + absentVersion
                + ": the server holds no such record (never written, or deleted so long ago that its tombstone"
                + " expired); send baseVersion 0 for a record the client has never seen from the server"
                : "baseVersion " + change.baseVersion() + " is above the record's current version "
                + current.version() + "; send the version the server last gave this record (0 if the client"
                + " has never seen it from the server)";
        return new ChangeError("unknown_version", "/baseVersion", message);
    }

    /** The change as it is: a new version holding its value (none for a delete). */
    private static Decision apply(Change change, RecordState current, long serverNow, long absentVersion,
                                  boolean foldOwnRuns) {
        long version = current == null ? absentVersion + 1 : current.version() + 1;
        long ts = change.correctedTs();
        boolean put = change.op() == Op.PUT;
        List<String> fields = put && change.fields() != null ? List.copyOf(change.fields()) : null;
        Write write = new Write(version, change.clientId(), ts, change.op(), fields);
        RecordState next = new RecordState(change.db(), change.store(), change.key(), change.op(),
                put ? change.value() : null, version, change.clientId(), change.seq(), ts, serverNow,
                append(current, write, foldOwnRuns));
        return new Decision(Result.applied(change.seq(), version), next);
    }

    /** A value a policy built: a new version unless it is what the record already holds. */
    private static Decision store(Change change, RecordState current, ObjectNode value, String policyName,
                                  long serverNow, boolean foldOwnRuns) {
        boolean likeChange = change.op() == Op.PUT && JsonValues.same(value, change.value());
        if (!current.deleted() && current.value() != null && JsonValues.same(value, current.value())) {
            Result result = likeChange
                    ? Result.applied(change.seq(), current.version())
                    : Result.conflict(change.seq(), current.version(), current.value(), policyName);
            return new Decision(result, null);
        }
        long version = current.version() + 1;
        long ts = change.correctedTs();
        List<String> fields = current.deleted() || current.value() == null
                ? null : JsonValues.changedFields(current.value(), value);
        Write write = new Write(version, change.clientId(), ts, Op.PUT, fields);
        RecordState next = new RecordState(change.db(), change.store(), change.key(), Op.PUT, value, version,
                change.clientId(), change.seq(), ts, serverNow, append(current, write, foldOwnRuns));
        Result result = likeChange
                ? Result.applied(change.seq(), version)
                : Result.conflict(change.seq(), version, value, policyName);
        return new Decision(result, next);
    }

    /** The record's history with {@code write} added, folded to {@link RecordState#HISTORY} entries. */
    private static List<Write> append(RecordState current, Write write, boolean foldOwnRuns) {
        return History.append(current == null ? null : current.history(), write, foldOwnRuns);
    }

    private static ObjectNode storedValueCopy(RecordState s) {
        return s.value() == null ? null : s.value().deepCopy();
    }

    private static ObjectNode storedValue(RecordState s) {
        return s.deleted() ? null : s.value();
    }

    private static Change copy(Change c) {
        ObjectNode value = c.value() == null ? null : c.value().deepCopy();
        List<String> fields = c.fields() == null ? null : List.copyOf(c.fields());
        return new Change(c.db(), c.clientId(), c.seq(), c.store(), c.key() == null ? null : c.key().deepCopy(),
                c.keyString(), c.op(), value, c.baseVersion(), c.ts(), fields, c.sentAt(), c.receivedAt());
    }

    private static RecordState copy(RecordState s) {
        return new RecordState(s.db(), s.store(), s.key() == null ? null : s.key().deepCopy(), s.op(),
                storedValueCopy(s), s.version(), s.clientId(), s.seq(), s.ts(), s.serverTs(),
                s.history() == null ? List.of() : List.copyOf(s.history()));
    }
}
