package dev.idbsync.ignite;

import dev.idbsync.config.SyncConfig;
import dev.idbsync.ignite.FeedStalls.Kind;
import dev.idbsync.ignite.FeedStalls.Stall;
import dev.idbsync.resolve.RecordState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads one partition's log of one db into a {@link FeedPage}: from the cursor's position towards
 * the head, block by block, leaving out entries whose record has a newer version (compaction),
 * until the page is full, its scan budget is used up, or something the log names is not visible
 * (waited for, then skipped past the stall bound: {@link FeedStalls}). One instance per partition
 * and page.
 */
final class PartitionScan {
    /** The reader's logger: skips are logged under the name they always had. */
    private static final Logger LOG = LoggerFactory.getLogger(FeedReader.class);

    private final SyncConfig config;
    private final FeedReader.Source source;
    private final FeedStalls stalls;
    private final FeedPage page;
    private final String db;
    private final int p;
    private final long head;
    private long blockStart;
    private long read;

    PartitionScan(SyncConfig config, FeedReader.Source source, FeedStalls stalls, FeedPage page, String db, int p,
                  long head, Feed.Position at) {
        this.config = config;
        this.source = source;
        this.stalls = stalls;
        this.page = page;
        this.db = db;
        this.p = p;
        this.head = head;
        this.blockStart = at.blockStart();
        this.read = at.read();
    }

    /** Reads as far as the page allows; returns the position reached, for the cursor. */
    Feed.Position read() {
        while (read < head && page.open()) {
            List<FeedBlock> blocks = blocks();
            if (blocks.isEmpty()) {
                if (!skipMissingBlock()) {
                    break; // the next block is not visible yet: read it next time
                }
                continue;
            }
            if (blocks.get(0).start() == read) {
                stalls.forget(Kind.BLOCK, key(read + 1)); // the block there is visible (again)
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
     * visible (or not in idbsync's format).
     */
    private List<FeedBlock> blocks() {
        long to = Math.min(head, read + Math.min(page.limit(), page.budget()));
        Set<String> keys = entryKeys(read, to);
        if (blockStart < read) {
            keys.add(Feed.entryKey(db, p, blockStart + 1));
        }
        Map<String, String> stored = source.feed(keys);
        List<FeedBlock> blocks = new ArrayList<>();
        if (blockStart < read) {
            // the page that gave this cursor ended inside that block: it is there, and longer
            FeedBlock block = FeedBlock.parse(blockStart, stored.get(Feed.entryKey(db, p, blockStart + 1)));
            if (block == null) {
                throw Feed.badCursor("partition " + p + " has no block at the position it names");
            }
            if (block.end() <= read) {
                throw Feed.badCursor("partition " + p + "'s block at the position it names ends before its position");
            }
            blocks.add(block);
        }
        for (long b = blocks.isEmpty() ? read : blocks.get(0).end(); b < to; ) {
            FeedBlock block = FeedBlock.parse(b, stored.get(Feed.entryKey(db, p, b + 1)));
            if (block == null) {
                break; // past this read's keys, or not visible
            }
            blocks.add(block);
            b = block.end();
        }
        return blocks;
    }

    /**
     * Delivers what the blocks hold from {@code read} on; false when it had to stop (at
     * something not visible, or with the page's changes or positions used up). The records
     * are read once, only for the positions the page's budget still reaches.
     */
    private boolean deliver(List<FeedBlock> blocks) {
        FeedRecords current = FeedRecords.read(source, config, db, blocks, read, read + page.budget());
        for (FeedBlock block : blocks) {
            for (long position = Math.max(read, block.start()) + 1; position <= block.end(); position++) {
                if (!page.open()) {
                    return false;
                }
                FeedBlock.Version v = block.at(position);
                RecordState now = current.get(v.store(), v.key());
                boolean configured = config.store(db, v.store()) != null;
                if (configured && (now == null || now.version() < v.version())) {
                    // The record version it names is not visible: its transaction is
                    // committing (read it next time), or the record is gone (skip it).
                    if (stalls.overdue(Kind.RECORD, key(position), head) == null) {
                        return false;
                    }
                    if (stalls.skip(Kind.RECORD, key(position))) {
                        LOG.warn("change feed of db {}, partition {}: the entry at position {} names {}/{} version {}, which"
                                        + " has not been readable for {} ms (the record was {}); skipping it", db, p, position,
                                v.store(), v.key(), v.version(), stalls.boundMs(),
                                now == null ? "not found or not readable" : "at version " + now.version());
                    }
                } else {
                    stalls.forget(Kind.RECORD, key(position));
                    if (now != null && now.version() == v.version()) {
                        page.add(Feed.change(now));
                    } // else compacted (a newer version of the record is in the feed), or a store no longer configured
                }
                read = position;
                page.scanned(1);
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
        Stall s = stalls.overdue(Kind.BLOCK, key(position), head);
        if (s == null) {
            return false;
        }
        // What may be skipped: up to the head when the stall was first seen, and as far as
        // the page's budget reaches. Scanned in reads of at most limit keys.
        long until = Math.min(s.head(), read + page.budget());
        long next = -1; // the first visible block
        for (long scanned = position; scanned < until && next < 0; ) {
            long to = Math.min(until, scanned + page.limit());
            Map<String, String> stored = source.feed(entryKeys(scanned, to));
            for (long i = scanned + 1; i <= to && next < 0; i++) {
                if (FeedBlock.parse(i - 1, stored.get(Feed.entryKey(db, p, i))) != null) {
                    next = i;
                }
            }
            scanned = to;
        }
        long skippedTo = next < 0 ? Math.max(until, position) : next - 1;
        if (next < 0 && skippedTo < s.head()) {
            // the budget ran out inside the gap: the next page goes on from here at once
            // (what it skips was committed before this stall began, too)
            stalls.continueAt(Kind.BLOCK, key(skippedTo + 1), s);
        }
        if (stalls.skip(Kind.BLOCK, key(position))) {
            LOG.warn("change feed of db {}, partition {}: no block entry has been readable at position {} for {} ms;"
                    + " skipping positions {} to {}", db, p, position, stalls.boundMs(), position, skippedTo);
        }
        page.scanned(skippedTo - read);
        read = skippedTo;
        blockStart = skippedTo;
        return true;
    }

    /** The keys of the entries at the positions after {@code from} up to {@code to}. */
    private Set<String> entryKeys(long from, long to) {
        Set<String> keys = new TreeSet<>();
        for (long i = from + 1; i <= to; i++) {
            keys.add(Feed.entryKey(db, p, i));
        }
        return keys;
    }

    private String key(long position) {
        return FeedStalls.key(db, p, position);
    }
}
