package dev.idbsync.ignite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.config.TopologyConfig;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Keys;
import dev.idbsync.protocol.ProtocolException;
import dev.idbsync.resolve.RecordState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one page of a db's change feed ({@link Feed}) for GET /v1/changes: the partitions of the
 * config and of the cursor, each from its position towards its head, block by block, entries
 * whose record has a newer version left out, at most {@code limit} changes.
 *
 * <p>Bounded per request, whatever the cursor says: the cursor is checked against the heads and
 * the format's own limits before anything is read, and a request's reads, over all partitions,
 * touch at most {@link #SCAN_FACTOR} x {@code limit} positions: that many records at most, and
 * feed entries in reads of at most {@code limit} + 1 keys, each of which moves the position or
 * ends that partition's turn (plus, per partition, the one block a page ended inside).
 *
 * <p>Never stalls for good. Something the feed names but the reader cannot see (a block entry
 * below the head, or the record at the version an entry names) is normally a transaction still
 * committing: the page stops there and the next pull reads it. When it stays unseen for longer
 * than the stall bound ({@code ignite.feedStallSkipMs}) it is gone (deleted by hand, a store's
 * cache renamed): it is skipped, by this pull and by every later one that reaches it, without a
 * new wait; it is counted ({@link #skipped()}) and logged once. Only what was committed before
 * the stall was first seen is ever skipped (positions up to the head read then), so a change
 * still committing is never skipped. When each stall was first seen is kept in this instance,
 * in bounded memory ({@link #MAX_STALLS_REMEMBERED} of each kind, least recently used forgotten first); a
 * restarted spout, or one that forgot a stall, simply waits the bound again.
 *
 * <p>Thread-safe: the spout's worker threads share one reader.
 */
public final class FeedReader {
    private static final Logger LOG = LoggerFactory.getLogger(FeedReader.class);

    /** What the reader reads: the feed cache and the stores' record caches ({@link #over(SyncCaches)}). */
    public interface Source {
        Map<String, String> feed(Set<String> keys);

        Map<String, String> records(StoreConfig store, Set<String> keys);
    }

    /** Positions a request may scan over all partitions, as a multiple of its limit (compacted entries are not counted in the limit). */
    public static final int SCAN_FACTOR = 10;
    /** A block holds one resolver batch at most; a page can end inside one no longer than this. */
    static final long MAX_BLOCK = TopologyConfig.MAX_IGNITE_BATCH_SIZE;
    /** Stalls of each kind remembered at once; the least recently used is forgotten first (and waited for again). */
    static final int MAX_STALLS_REMEMBERED = 10_000;

    private final SyncConfig config;
    private final Source source;
    private final LongSupplier clock;
    private final long stallSkipMs;
    private final AtomicLong skipped = new AtomicLong();
    /**
     * Positions seen unservable, by "db|p|position": a record not visible at an entry's version,
     * and, apart, a block entry not visible. Kept apart so that stalls a forged cursor can cause
     * (it can name a position inside a block, where no entry starts) cannot push out those of
     * records, which only real entries cause.
     */
    private final Stalls recordStalls = new Stalls();
    private final Stalls blockStalls = new Stalls();

    private record Stall(long since, long head, boolean reported) {
    }

    /** Stalls of one kind, least recently used forgotten first past {@link #MAX_STALLS_REMEMBERED}; thread-safe. */
    private static final class Stalls {
        private final Map<String, Stall> map = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Stall> eldest) {
                return size() > MAX_STALLS_REMEMBERED;
            }
        };

        /** The stall at {@code key}, begun now with this head if it is not known. */
        synchronized Stall at(String key, long now, long head) {
            return map.computeIfAbsent(key, k -> new Stall(now, head, false));
        }

        /** A stall at {@code key} that began with {@code s} (a gap crossed over several requests). */
        synchronized void continueAt(String key, Stall s) {
            map.putIfAbsent(key, new Stall(s.since(), s.head(), false));
        }

        /** True once per stall: the first time it is skipped (again if it was forgotten meanwhile). */
        synchronized boolean report(String key) {
            Stall s = map.get(key);
            if (s != null && s.reported()) {
                return false;
            }
            if (s != null) {
                map.put(key, new Stall(s.since(), s.head(), true));
            }
            return true;
        }

        synchronized void forget(String key) {
            if (!map.isEmpty()) {
                map.remove(key);
            }
        }
    }

    public FeedReader(SyncConfig config, Source source, LongSupplier clock, long stallSkipMs) {
        this.config = config;
        this.source = source;
        this.clock = clock;
        this.stallSkipMs = stallSkipMs;
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
        return skipped.get();
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
        if (since != null && since.length() > Feed.maxCursorChars(probed)) {
            throw badCursor("it is " + since.length() + " characters long; this server's cursors are at most "
                    + Feed.maxCursorChars(probed));
        }
        Map<Integer, Feed.Position> cursor = Feed.decodeCursor(since);
        for (Map.Entry<Integer, Feed.Position> e : cursor.entrySet()) {
            if (e.getKey() >= probed) {
                throw badCursor("it names partition " + e.getKey() + "; this server's feed has partitions 0 to " + (probed - 1));
            }
            Feed.Position at = e.getValue();
            if (at.read() - at.blockStart() > MAX_BLOCK) {
                throw badCursor("its position in partition " + e.getKey() + " is inside a block longer than any block"
                        + " this server writes");
            }
        }
        SortedSet<Integer> partitions = new TreeSet<>(cursor.keySet());
        for (int p = 0; p < probed; p++) {
            partitions.add(p);
        }
        Set<String> headKeys = new TreeSet<>();
        partitions.forEach(p -> headKeys.add(Feed.headKey(db, p)));
        Map<String, String> heads = source.feed(headKeys);
        Map<Integer, Long> headOf = new TreeMap<>();
        for (int p : partitions) {
            String h = heads.get(Feed.headKey(db, p));
            long head = h == null ? 0 : Long.parseLong(h);
            headOf.put(p, head);
            if (cursor.containsKey(p) && cursor.get(p).read() > head) {
                // heads never move back: this cursor belongs to other data (another deployment)
                throw badCursor("it is ahead of the feed it names; it belongs to another server's data");
            }
        }
        Map<Integer, Feed.Position> pos = new TreeMap<>(cursor);
        ObjectNode body = Json.MAPPER.createObjectNode();
        Request request = new Request(db, body.putArray("changes"), limit);
        boolean more = false;
        for (int p : partitions) {
            long head = headOf.get(p);
            Feed.Position at = pos.getOrDefault(p, Feed.Position.at(0));
            if (at.read() < head && request.open()) {
                at = new Partition(request, p, head, at).read();
            }
            if (head > 0 || cursor.containsKey(p)) {
                pos.put(p, at); // partitions that never had an entry stay out of the cursor
            }
            if (at.read() < head) {
                more = true;
            }
        }
        body.put("cursor", Feed.encodeCursor(pos));
        body.put("hasMore", more);
        return body.toString();
    }

    /** A stored feed entry's versions, or null when there is none or it is not in idbsync's format. */
    private static List<JsonNode> versions(String stored) {
        if (stored == null) {
            return null;
        }
        try {
            List<JsonNode> versions = Feed.versions(stored);
            for (JsonNode n : versions) {
                if (!n.get("store").isTextual() || !n.get("version").canConvertToLong()) {
                    return null;
                }
                Keys.canonical(n.get("key"));
            }
            return versions;
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** A stored record, or null when it is not in idbsync's format. */
    private static RecordState record(String stored) {
        try {
            return RecordState.fromJson(stored);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static ProtocolException badCursor(String why) {
        return Feed.badCursor(why);
    }

    /** One block of the log: where it starts (positions after {@code start}) and its versions. */
    private record Block(long start, List<JsonNode> versions) {
        long end() {
            return start + versions.size();
        }
    }

    /** One request: what it answers so far, and the positions it may still read, over all partitions. */
    private static final class Request {
        private final String db;
        private final ArrayNode out;
        private final int limit;
        private int budget;

        Request(String db, ArrayNode out, int limit) {
            this.db = db;
            this.out = out;
            this.limit = limit;
            this.budget = SCAN_FACTOR * limit;
        }

        /** Room for another change, and positions left to read. */
        boolean open() {
            return out.size() < limit && budget > 0;
        }
    }

    /** Reading one partition's log for one request. */
    private final class Partition {
        private final Request request;
        private final String db;
        private final int p;
        private final long head;
        private final ArrayNode out;
        private final int limit;
        private long blockStart;
        private long read;

        Partition(Request request, int p, long head, Feed.Position at) {
            this.request = request;
            this.db = request.db;
            this.p = p;
            this.head = head;
            this.out = request.out;
            this.limit = request.limit;
            this.blockStart = at.blockStart();
            this.read = at.read();
        }

        Feed.Position read() {
            while (read < head && request.open()) {
                List<Block> blocks = blocks();
                if (blocks.isEmpty()) {
                    if (!skipMissingBlock()) {
                        break; // the next block is not visible yet: read it next time
                    }
                    continue;
                }
                if (blocks.get(0).start() == read) {
                    blockStalls.forget(key(read + 1)); // the block there is visible (again)
                }
                if (!deliver(blocks)) {
                    break;
                }
            }
            return new Feed.Position(blockStart, read);
        }

        /**
         * The blocks from {@code blockStart + 1} on, as far as one read of at most the budget's
         * positions reaches: the block a page ended inside (its entry is at blockStart + 1), then
         * the entries from read + 1 on (a log written before blocks has an entry at every
         * position; one with blocks only at each block's first). Stops at the first entry not
         * visible (or not in idbsync's format: it is treated as not visible, waited for, then
         * skipped, like one deleted by hand).
         */
        private List<Block> blocks() {
            long to = Math.min(head, read + Math.min(limit, request.budget));
            Set<String> keys = new TreeSet<>();
            if (blockStart < read) {
                keys.add(Feed.entryKey(db, p, blockStart + 1));
            }
            for (long i = read + 1; i <= to; i++) {
                keys.add(Feed.entryKey(db, p, i));
            }
            Map<String, String> stored = source.feed(keys);
            List<Block> blocks = new ArrayList<>();
            if (blockStart < read) {
                // the page that gave this cursor ended inside that block: it is there, and longer
                List<JsonNode> versions = versions(stored.get(Feed.entryKey(db, p, blockStart + 1)));
                if (versions == null) {
                    throw badCursor("partition " + p + " has no block at the position it names");
                }
                Block block = new Block(blockStart, versions);
                if (block.end() <= read) {
                    throw badCursor("partition " + p + "'s block at the position it names ends before its position");
                }
                blocks.add(block);
            }
            for (long b = blocks.isEmpty() ? read : blocks.get(0).end(); b < to; ) {
                List<JsonNode> versions = versions(stored.get(Feed.entryKey(db, p, b + 1)));
                if (versions == null) {
                    break; // past this read's keys, or not visible
                }
                Block block = new Block(b, versions);
                blocks.add(block);
                b = block.end();
            }
            return blocks;
        }

        /**
         * Delivers what the blocks hold from {@code read} on; false when it had to stop (at
         * something not visible, or with the request's changes or positions used up). The
         * records are read once, only for the positions the request's budget still reaches.
         */
        private boolean deliver(List<Block> blocks) {
            Map<StoreConfig, Set<String>> byStore = new HashMap<>();
            long last = read + request.budget; // no position past this is read by this request
            for (Block block : blocks) {
                for (long position = Math.max(read, block.start()) + 1; position <= Math.min(block.end(), last); position++) {
                    JsonNode n = block.versions().get((int) (position - block.start() - 1));
                    StoreConfig sc = config.store(db, n.get("store").asText());
                    if (sc != null) {
                        byStore.computeIfAbsent(sc, s -> new TreeSet<>()).add(Keys.canonical(n.get("key")));
                    }
                }
            }
            // the records as they are now: compaction, and what is delivered
            Map<String, RecordState> current = new HashMap<>();
            byStore.forEach((sc, ks) -> source.records(sc, ks).forEach((k, v) -> {
                RecordState r = record(v);
                if (r != null) { // one not in idbsync's format is treated as not visible: waited for, then skipped
                    current.put(sc.store() + "\u0000" + k, r);
                }
            }));
            for (Block block : blocks) {
                List<JsonNode> versions = block.versions();
                for (long position = Math.max(read, block.start()) + 1; position <= block.end(); position++) {
                    if (!request.open()) {
                        return false;
                    }
                    JsonNode n = versions.get((int) (position - block.start() - 1));
                    String store = n.get("store").asText();
                    long version = n.get("version").asLong();
                    RecordState now = current.get(store + "\u0000" + Keys.canonical(n.get("key")));
                    boolean configured = config.store(db, store) != null;
                    if (configured && (now == null || now.version() < version)) {
                        // The record version it names is not visible: its transaction is
                        // committing (read it next time), or the record is gone (skip it).
                        Stall s = recordStalls.at(key(position), clock.getAsLong(), head);
                        if (clock.getAsLong() - s.since() < stallSkipMs) {
                            return false;
                        }
                        if (recordStalls.report(key(position))) {
                            skipped.incrementAndGet();
                            LOG.warn("change feed of db {}, partition {}: the entry at position {} names {}/{} version {}, which"
                                        + " has not been readable for {} ms (the record was {}); skipping it", db, p, position,
                                store, Keys.canonical(n.get("key")), version, stallSkipMs,
                                now == null ? "not found or not readable" : "at version " + now.version());
                        }
                    } else {
                        recordStalls.forget(key(position));
                        if (now != null && now.version() == version) {
                            out.add(Feed.change(now));
                        } // else compacted (a newer version of the record is in the feed), or a store no longer configured
                    }
                    read = position;
                    request.budget--;
                }
                blockStart = read; // the block is read to its end
            }
            return true;
        }

        /**
         * The block at {@code read + 1} is not visible. Right after its transaction committed that
         * lasts milliseconds; once it has lasted past the stall bound the block is gone: skip to
         * the next visible block, looking only at positions the head had reached when the stall
         * was first seen (committed that long ago too, so none of them is still committing).
         * True when it moved.
         */
        private boolean skipMissingBlock() {
            long position = read + 1;
            Stall s = blockStalls.at(key(position), clock.getAsLong(), head);
            if (clock.getAsLong() - s.since() < stallSkipMs) {
                return false;
            }
            // What may be skipped: up to the head when the stall was first seen, and as far as
            // the request's budget reaches. Scanned in reads of at most limit keys.
            long until = Math.min(s.head(), read + request.budget);
            long next = -1; // the first visible block
            for (long scanned = position; scanned < until && next < 0; ) {
                long to = Math.min(until, scanned + limit);
                Set<String> keys = new TreeSet<>();
                for (long i = scanned + 1; i <= to; i++) {
                    keys.add(Feed.entryKey(db, p, i));
                }
                Map<String, String> stored = source.feed(keys);
                for (long i = scanned + 1; i <= to && next < 0; i++) {
                    if (versions(stored.get(Feed.entryKey(db, p, i))) != null) {
                        next = i;
                    }
                }
                scanned = to;
            }
            long skippedTo = next < 0 ? Math.max(until, position) : next - 1;
            if (next < 0 && skippedTo < s.head()) {
                // the budget ran out inside the gap: the next request goes on from here at once
                // (what it skips was committed before this stall began, too)
                blockStalls.continueAt(key(skippedTo + 1), s);
            }
            if (blockStalls.report(key(position))) {
                skipped.incrementAndGet();
                LOG.warn("change feed of db {}, partition {}: no block entry has been readable at position {} for {} ms;"
                        + " skipping positions {} to {}", db, p, position, stallSkipMs, position, skippedTo);
            }
            request.budget -= (int) Math.min(request.budget, skippedTo - read);
            read = skippedTo;
            blockStart = skippedTo;
            return true;
        }

        private String key(long position) {
            return db + "|" + p + "|" + position;
        }
    }
}
