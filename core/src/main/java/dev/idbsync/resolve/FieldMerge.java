package dev.idbsync.resolve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Op;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * {@code merge}: the change's modified top-level fields are laid over the stored value. A field
 * that another client also changed after the change's baseVersion, at a later skew-corrected
 * ts, keeps its stored value; on equal ts the greater clientId wins (a write of unknown client,
 * standing for writes the history no longer holds, wins ties). The merged value is stored.
 *
 * <ul>
 * <li>The modified fields are the change's {@code fields}; a put without {@code fields} counts
 *     every top-level field of its value as modified. A field listed in {@code fields} but
 *     absent from the value is removed.</li>
 * <li>Fields the change did not modify keep their stored value, even when the change's value
 *     holds something else for them.</li>
 * <li>A delete, or a change to a record that is now deleted, has no fields to merge: it is
 *     settled by {@link LastWriterWins}.</li>
 * </ul>
 */
public final class FieldMerge implements ConflictPolicy {
    public static final String NAME = "merge";

    private static final LastWriterWins LWW = new LastWriterWins();

    @Override
    public Resolution resolve(Conflict conflict) {
        Change change = conflict.change();
        RecordState stored = conflict.stored();
        if (change.op() == Op.DELETE || stored.deleted() || change.value() == null) {
            return LWW.resolve(conflict);
        }
        ObjectNode merged = stored.value() == null
                ? JsonNodeFactory.instance.objectNode() : stored.value().deepCopy();
        ObjectNode mine = change.value();
        for (String field : modified(change)) {
            if (othersWin(field, conflict)) {
                continue;
            }
            JsonNode v = mine.get(field);
            if (v == null) {
                merged.remove(field);
            } else {
                merged.set(field, v.deepCopy());
            }
        }
        return Resolution.store(merged);
    }

    private static Collection<String> modified(Change change) {
        Set<String> out = new LinkedHashSet<>();
        if (change.fields() != null) {
            out.addAll(change.fields());
        } else {
            for (Map.Entry<String, JsonNode> e : change.value().properties()) {
                out.add(e.getKey());
            }
        }
        return out;
    }

    /** Whether some other client's write since baseVersion changed {@code field} after the change. */
    private static boolean othersWin(String field, Conflict conflict) {
        for (Write w : conflict.othersSinceBase()) {
            if (w.changed(field)
                    && !LastWriterWins.wins(conflict.changeTs(), conflict.change().clientId(), w.ts(), w.clientId())) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return NAME;
    }
}
