package dev.idbsync.ignite;

import dev.idbsync.config.TopologyConfig;
import dev.idbsync.protocol.ProtocolException;
import java.util.Collections;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * A GET /v1/changes {@code since} cursor ({@link Feed#decodeCursor}), checked against this
 * server's feed before anything is read for it: its length, the partitions it names, the blocks
 * it says a page ended inside, and (once the heads are read) that it is not ahead of them. Each
 * check throws {@code bad_cursor} 400, so a forged cursor costs at most the read of the heads.
 *
 * @param positions partition → position read up to; empty for "from the beginning"
 * @param given     whether the client sent a cursor at all (a cursor of a feed that had no entry yet
 *                  names no partition, but still says the client has read the feed up to then)
 */
record FeedCursor(Map<Integer, Feed.Position> positions, boolean given) {
    /** A block holds one resolver batch at most; a page can end inside one no longer than this. */
    static final long MAX_BLOCK = TopologyConfig.MAX_IGNITE_BATCH_SIZE;

    FeedCursor {
        positions = Collections.unmodifiableMap(positions);
    }

    /** The client's cursor (null: from the beginning), for a feed of {@code probed} partitions. */
    static FeedCursor parse(String since, int probed) {
        if (since != null && since.length() > Feed.maxCursorChars(probed)) {
            throw Feed.badCursor("it is " + since.length() + " characters long; this server's cursors are at most "
                    + Feed.maxCursorChars(probed));
        }
        Map<Integer, Feed.Position> cursor = Feed.decodeCursor(since);
        for (Map.Entry<Integer, Feed.Position> e : cursor.entrySet()) {
            if (e.getKey() >= probed) {
                throw Feed.badCursor("it names partition " + e.getKey() + "; this server's feed has partitions 0 to " + (probed - 1));
            }
            Feed.Position at = e.getValue();
            if (at.read() - at.blockStart() > MAX_BLOCK) {
                throw Feed.badCursor("its position in partition " + e.getKey() + " is inside a block longer than any block"
                        + " this server writes");
            }
        }
        return new FeedCursor(cursor, since != null && !since.isEmpty());
    }

    /** The partitions a page reads: 0 to {@code probed} - 1 and those the cursor names, in order. */
    SortedSet<Integer> partitions(int probed) {
        SortedSet<Integer> partitions = new TreeSet<>(positions.keySet());
        for (int p = 0; p < probed; p++) {
            partitions.add(p);
        }
        return partitions;
    }

    /** Heads never move back: a cursor past one belongs to other data (another deployment). */
    void checkNotAhead(int partition, long head) {
        if (names(partition) && positions.get(partition).read() > head) {
            throw Feed.badCursor("it is ahead of the feed it names; it belongs to another server's data");
        }
    }

    /**
     * A log whose positions up to {@code trimmed} were removed by the retention sweep
     * ({@link FeedRetention}): a cursor that has not read that far missed what was removed, and is
     * answered 410 {@code resync} (the client pulls again from the beginning); a pull from the
     * beginning starts after them.
     */
    Feed.Position from(int partition, long trimmed) {
        Feed.Position at = at(partition);
        if (at.read() >= trimmed) {
            return at;
        }
        if (given) {
            throw new ProtocolException(410, "resync", "since: this cursor points into the part of the change feed this"
                    + " server no longer keeps (its retention has removed it); pull again without since, from the"
                    + " beginning: that gives every record's current version, deletes included");
        }
        return Feed.Position.at(trimmed);
    }

    boolean names(int partition) {
        return positions.containsKey(partition);
    }

    /** Where a page starts in a partition: the cursor's position there, or its beginning. */
    Feed.Position at(int partition) {
        return positions.getOrDefault(partition, Feed.Position.at(0));
    }
}
