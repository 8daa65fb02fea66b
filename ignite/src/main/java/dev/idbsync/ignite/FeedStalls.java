package dev.idbsync.ignite;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What a {@link FeedReader} has found the feed naming but could not see, and since when. Such a
 * thing is normally a transaction still committing, and is waited for; once it has stayed unseen
 * for the stall bound it is gone, and is skipped by every pull that reaches it, without a new
 * wait, counted once.
 *
 * <p>Two kinds are kept apart, each in bounded memory (least recently used forgotten first, and
 * then simply waited for again): stalls a forged cursor can cause (it can name a position inside
 * a block, where no block entry starts) cannot push out those of records, which only real entries
 * cause. Keys are "db|partition|position". Thread-safe.
 */
final class FeedStalls {
    /** What stalled: the record at the version an entry names, or a block entry below the head. */
    enum Kind {
        RECORD,
        BLOCK
    }

    /** A stall: when it was first seen, the partition's head then, and whether its skip was counted. */
    record Stall(long since, long head, boolean reported) {
    }

    private final LongSupplier clock;
    private final long boundMs;
    private final Memory records;
    private final Memory blocks;
    private final AtomicLong skipped = new AtomicLong();

    FeedStalls(LongSupplier clock, long boundMs, int remembered) {
        this.clock = clock;
        this.boundMs = boundMs;
        this.records = new Memory(remembered);
        this.blocks = new Memory(remembered);
    }

    static String key(String db, int partition, long position) {
        return db + "|" + partition + "|" + position;
    }

    /** How long something stays unseen before it is skipped. */
    long boundMs() {
        return boundMs;
    }

    /** Stalls skipped so far, each counted once. */
    long skipped() {
        return skipped.get();
    }

    /**
     * The stall at {@code key}, begun now with this head if it is new, once it has lasted the
     * bound; null while it has not, and the reader should wait for it.
     */
    Stall overdue(Kind kind, String key, long head) {
        long now = clock.getAsLong();
        Stall s = memory(kind).at(key, now, head);
        return now - s.since() < boundMs ? null : s;
    }

    /** A stall at {@code key} that began with {@code s}: a gap one pull could not cross, to be crossed by the next at once. */
    void continueAt(Kind kind, String key, Stall s) {
        memory(kind).continueAt(key, s);
    }

    /** Counts a skip of the stall at {@code key}; true only the first time, when the caller should log it. */
    boolean skip(Kind kind, String key) {
        if (!memory(kind).report(key)) {
            return false;
        }
        skipped.incrementAndGet();
        return true;
    }

    /** What was at {@code key} is visible (again). */
    void forget(Kind kind, String key) {
        memory(kind).forget(key);
    }

    private Memory memory(Kind kind) {
        return kind == Kind.RECORD ? records : blocks;
    }

    /** Stalls of one kind, least recently used forgotten first past the limit; thread-safe. */
    private static final class Memory {
        private final Map<String, Stall> map;

        Memory(int remembered) {
            map = new LinkedHashMap<>(256, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Stall> eldest) {
                    return size() > remembered;
                }
            };
        }

        synchronized Stall at(String key, long now, long head) {
            return map.computeIfAbsent(key, k -> new Stall(now, head, false));
        }

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
}
