package dev.idbsync.ignite;

import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.ProtocolException;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;

/**
 * Reads one page of a db's change feed ({@link Feed}) for GET /v1/changes: the partitions of the
 * config and of the cursor, each from its position towards its head, block by block, entries
 * whose record has a newer version left out, at most {@code limit} changes.
 *
 * <p>Bounded per request, whatever the cursor says: the cursor is checked against the heads and
 * the format's own limits before anything is read ({@link FeedCursor}), and a request's reads,
 * over all partitions, touch at most {@link #SCAN_FACTOR} x {@code limit} positions
 * ({@link FeedPage}): that many records at most, and feed entries in reads of at most
 * {@code limit} + 1 keys, each of which moves the position or ends that partition's turn (plus,
 * per partition, the one block a page ended inside). Each partition is read by a
 * {@link PartitionScan}.
 *
 * <p>Never stalls for good. Something the feed names but the reader cannot see (a block entry
 * below the head, or the record at the version an entry names) is normally a transaction still
 * committing: the page stops there and the next pull reads it. When it stays unseen for longer
 * than the stall bound ({@code ignite.feedStallSkipMs}) it is gone (deleted by hand, a store's
 * cache renamed): it is skipped, by this pull and by every later one that reaches it, without a
 * new wait; it is counted ({@link #skipped()}) and logged once. Only what was committed before
 * the stall was first seen is ever skipped (positions up to the head read then), so a change
 * still committing is never skipped. When each stall was first seen is kept in this instance
 * ({@link FeedStalls}), in bounded memory ({@link #MAX_STALLS_REMEMBERED} of each kind, least
 * recently used forgotten first); a restarted spout, or one that forgot a stall, simply waits the
 * bound again.
 *
 * <p>Thread-safe: the spout's worker threads share one reader.
 */
public final class FeedReader {
    /** What the reader reads: the feed cache and the stores' record caches ({@link #over(SyncCaches)}). */
    public interface Source {
        Map<String, String> feed(Set<String> keys);

        Map<String, String> records(StoreConfig store, Set<String> keys);
    }

    /** Positions a request may scan over all partitions, as a multiple of its limit (compacted entries are not counted in the limit). */
    public static final int SCAN_FACTOR = 10;
    /** Stalls of each kind remembered at once; the least recently used is forgotten first (and waited for again). */
    static final int MAX_STALLS_REMEMBERED = 10_000;

    private final SyncConfig config;
    private final Source source;
    private final FeedStalls stalls;

    public FeedReader(SyncConfig config, Source source, LongSupplier clock, long stallSkipMs) {
        this.config = config;
        this.source = source;
        this.stalls = new FeedStalls(clock, stallSkipMs, MAX_STALLS_REMEMBERED);
    }

    /** The production source: Ignite's caches. */
    public static Source over(SyncCaches caches) {
        return new Source() {
            @Override
            public Map<String, String> feed(Set<String> keys) {
                return caches.feed().getAll(keys);
            }

            @Override
            public Map<String, String> records(StoreConfig store, Set<String> keys) {
                return caches.records(store).getAll(keys);
            }
        };
    }

    /** Entries skipped because they stayed unservable past the stall bound, since this reader was made. */
    public long skipped() {
        return stalls.skipped();
    }

    /** Partitions a reader looks at: the configured resolver tasks, and at least {@link Feed#PARTITIONS_PROBED}. */
    int partitionsProbed() {
        return Math.max(config.topology().resolveParallelism(), Feed.PARTITIONS_PROBED);
    }

    /**
     * The body of GET /v1/changes. {@code since} is the client's cursor (null: from the
     * beginning). Throws {@link ProtocolException} 400 {@code bad_cursor} for a cursor this
     * server cannot have given; Ignite's exceptions pass through.
     */
    public String page(String db, String since, int limit) {
        int probed = partitionsProbed();
        FeedCursor cursor = FeedCursor.parse(since, probed);
        SortedSet<Integer> partitions = cursor.partitions(probed);
        Map<Integer, long[]> heads = heads(db, partitions, cursor);
        Map<Integer, Feed.Position> pos = new TreeMap<>(cursor.positions());
        FeedPage page = new FeedPage(limit);
        boolean more = false;
        for (int p : partitions) {
            long head = heads.get(p)[0];
            Feed.Position at = cursor.from(p, heads.get(p)[1]);
            if (at.read() < head && page.open()) {
                at = new PartitionScan(config, source, stalls, page, db, p, head, at).read();
            }
            if (head > 0 || cursor.names(p)) {
                pos.put(p, at); // partitions that never had an entry stay out of the cursor
            }
            if (at.read() < head) {
                more = true;
            }
        }
        return page.body(pos, more);
    }

    /**
     * Each partition's head (its last position; 0 for a log with no entry) and how far the
     * retention sweep has removed it (0: nothing), read at once, each checked against the cursor:
     * {@code [head, trimmed]}. Any cursor behind a trimmed mark is answered 410 before a page is read.
     */
    private Map<Integer, long[]> heads(String db, SortedSet<Integer> partitions, FeedCursor cursor) {
        Set<String> keys = new TreeSet<>();
        partitions.forEach(p -> {
            keys.add(Feed.headKey(db, p));
            keys.add(Feed.trimmedKey(db, p));
        });
        Map<String, String> stored = source.feed(keys);
        Map<Integer, long[]> heads = new TreeMap<>();
        for (int p : partitions) {
            String h = stored.get(Feed.headKey(db, p));
            String t = stored.get(Feed.trimmedKey(db, p));
            long head = h == null ? 0 : Long.parseLong(h);
            long trimmed = t == null ? 0 : Long.parseLong(t);
            cursor.checkNotAhead(p, head);
            cursor.from(p, trimmed); // 410 now, before anything is read, when any partition is behind
            heads.put(p, new long[] {head, trimmed});
        }
        return heads;
    }
}
