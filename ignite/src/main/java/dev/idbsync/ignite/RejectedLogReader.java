package dev.idbsync.ignite;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * The pages of GET /v1/rejected (docs/protocol.md): a client's rejected changes from the
 * rejected-changes log ({@link RejectedLog}), in the order of its index. The cursor is a position
 * in that index, not a seq. Thread-safe; holds no state.
 */
public final class RejectedLogReader {
    /** What the reader reads: the rejected index and the rejected entries ({@link #over(SyncCaches)}). */
    public interface Source {
        /** The client's {@link RejectedLog.Index} JSON under {@link RejectedLog#clientKey}, or null. */
        String index(String clientKey);

        /** The entries of these keys ({@code db/clientId/seq}); missing keys have none. */
        Map<String, String> entries(Set<String> keys);
    }

    private final Source source;
    private final LongSupplier clock;
    private final long retentionMs;

    /** @param retentionMs {@code ignite.rejectedRetentionHours}: how long an entry is kept */
    public RejectedLogReader(Source source, LongSupplier clock, long retentionMs) {
        this.source = source;
        this.clock = clock;
        this.retentionMs = retentionMs;
    }

    /** The production source: Ignite's caches. */
    public static Source over(SyncCaches caches) {
        return new Source() {
            @Override
            public String index(String clientKey) {
                return caches.rejectedIndex().get(clientKey);
            }

            @Override
            public Map<String, String> entries(Set<String> keys) {
                return caches.rejected().getAll(keys);
            }
        };
    }

    /**
     * The body of GET /v1/rejected for a checked query: up to {@code limit} entries after position
     * {@code since}, the next cursor and {@code hasMore}. Ignite's exceptions pass through.
     */
    public String page(String db, String clientId, long since, int limit) {
        RejectedLog.Index index = RejectedLog.readIndex(source.index(RejectedLog.clientKey(db, clientId)));
        // since is a position in the index's commit order (see RejectedLog.Index). A cursor
        // past the end means the index expired and started anew: read it from its start.
        long start = since > index.end() ? index.base() : Math.max(since, index.base());
        List<Long> seqs = new ArrayList<>();
        for (long i = start; i < index.end() && seqs.size() < limit; i++) {
            seqs.add(index.seqs().get((int) (i - index.base())));
        }
        Set<String> keys = new TreeSet<>();
        seqs.forEach(seq -> keys.add(Change.eventId(db, clientId, seq)));
        Map<String, String> entries = keys.isEmpty() ? Map.of() : source.entries(keys);
        ObjectNode body = Json.MAPPER.createObjectNode();
        ArrayNode list = body.putArray("rejected");
        long next = start;
        for (long seq : seqs) {
            String e = entries.get(Change.eventId(db, clientId, seq));
            if (e == null) {
                long at = index.ats().get((int) (next - index.base()));
                if (clock.getAsLong() - at < retentionMs) {
                    break; // not visible yet (its transaction is committing): read it next time
                }
                next++;
                continue; // past ignite.rejectedRetentionHours
            }
            next++;
            ObjectNode n = entry(e);
            ObjectNode out = list.addObject();
            out.put("seq", seq);
            out.set("change", n.get("change"));
            out.set("error", n.get("error"));
            out.set("at", n.get("at"));
        }
        body.put("cursor", Long.toString(next));
        body.put("hasMore", next < index.end());
        return body.toString();
    }

    private static ObjectNode entry(String json) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (IOException | ClassCastException e) {
            throw new UncheckedIOException("a rejected-changes entry in Ignite is not in idbsync's format: " + json,
                    e instanceof IOException io ? io : new IOException(e));
        }
    }
}
