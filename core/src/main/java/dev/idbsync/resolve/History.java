package dev.idbsync.resolve;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A record's history: at most {@link RecordState#HISTORY} entries, oldest first, that together
 * stand for every write the record ever had, so that "did another client write this record
 * after version N?" has an answer for any N.
 *
 * <p>An entry with an {@code op} is one write. An entry without one ({@code op} null) is a
 * <i>folded</i> entry: it stands for the writes after the entry before it (for the first entry:
 * all writes since version 1) up to and including its {@code version}; its {@code clientId} is
 * their client when they all had the same one, else null; its {@code ts} is the latest of their
 * times and its {@code fields} the union of theirs (null: all). When a write would make the
 * history longer than {@link RecordState#HISTORY}, two neighbouring entries are folded into one:
 * the oldest two of one client, looking only at the entries older than the newest
 * {@link #KEEP_DETAILED}, or else the oldest two. A client's long run of its own writes thus stays
 * recognisably its own, and its own writes never conflict, however many there are.
 */
final class History {
    /** The newest entries never folded while an older pair of one client can be. */
    static final int KEEP_DETAILED = RecordState.HISTORY / 2;

    private History() {
    }

    /** The history with {@code write} added, folded down to {@link RecordState#HISTORY} entries. */
    static List<Write> append(List<Write> history, Write write) {
        return append(history, write, false);
    }

    /**
     * As {@link #append(List, Write)}; with {@code foldOwnRun}, a write of the same client as the
     * newest entry is folded into it at once. Whether another client wrote after a given version
     * has the same answer either way (a run of one client's writes holds another client's write
     * after a version exactly when its newest one is after it), so for the policies that look at
     * nothing else of the history ({@code lww}, {@code server-wins}, {@code client-wins}) records
     * stay small: one entry per run of one client's writes instead of up to
     * {@link RecordState#HISTORY}. {@code merge} and custom policies get each write's fields and
     * time, so they keep every write apart until the history is full.
     */
    static List<Write> append(List<Write> history, Write write, boolean foldOwnRun) {
        List<Write> all = new ArrayList<>(history == null ? 0 : history.size() + 1);
        if (history != null) {
            all.addAll(history);
        }
        all.add(write);
        int last = all.size() - 1;
        if (foldOwnRun && last >= 1 && write.clientId() != null && write.clientId().equals(all.get(last - 1).clientId())
                && (last >= 2 || reachesBack(all.get(0)))) {
            fold(all, last - 1);
        }
        while (all.size() > RecordState.HISTORY) {
            foldOnce(all);
        }
        return List.copyOf(all);
    }

    private static void foldOnce(List<Write> all) {
        int pairs = all.size() - KEEP_DETAILED; // pairs (i, i + 1) with i + 1 < pairs
        for (int i = 0; i + 1 < pairs; i++) {
            String clientId = all.get(i).clientId();
            if (clientId != null && clientId.equals(all.get(i + 1).clientId())) {
                fold(all, i);
                return;
            }
        }
        fold(all, 0);
    }

    private static void fold(List<Write> all, int i) {
        Write older = all.get(i);
        Write newer = all.get(i + 1);
        String clientId = Objects.equals(older.clientId(), newer.clientId()) ? newer.clientId() : null;
        if (i == 0 && !reachesBack(older)) {
            clientId = null; // the writes before it are unknown, and the folded entry stands for them too
        }
        List<String> fields = null;
        if (older.fields() != null && newer.fields() != null) {
            Set<String> union = new LinkedHashSet<>(older.fields());
            union.addAll(newer.fields());
            fields = List.copyOf(union);
        }
        all.set(i, new Write(newer.version(), clientId, Math.max(older.ts(), newer.ts()), null, fields));
        all.remove(i + 1);
    }

    /** Whether a first entry stands for every write up to its version. */
    private static boolean reachesBack(Write first) {
        return first.op() == null || first.version() == 1;
    }

    /**
     * The entries of other clients with a version above {@code baseVersion}, oldest first (empty:
     * no conflict). When the history does not reach back to {@code baseVersion} (a record stored
     * without its early writes), a stand-in for the missing writes comes first: clientId, op and
     * fields null, the version just below the oldest entry and that entry's ts.
     */
    static List<Write> othersSince(RecordState current, long baseVersion, String clientId) {
        if (current == null || baseVersion >= current.version()) {
            return List.of();
        }
        List<Write> history = current.history() == null ? List.of() : current.history();
        List<Write> out = new ArrayList<>();
        if (history.isEmpty()) {
            out.add(new Write(current.version(), null, current.ts(), null, null));
            return List.copyOf(out);
        }
        Write first = history.get(0);
        if (!reachesBack(first) && first.version() > baseVersion + 1) {
            out.add(new Write(first.version() - 1, null, first.ts(), null, null));
        }
        for (Write w : history) {
            if (w.version() > baseVersion && !Objects.equals(w.clientId(), clientId)) {
                out.add(w);
            }
        }
        return List.copyOf(out);
    }
}
