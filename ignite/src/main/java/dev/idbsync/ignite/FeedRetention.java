package dev.idbsync.ignite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.idbsync.config.RetentionConfig;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Json;
import dev.idbsync.resolve.RecordState;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.LongSupplier;
import org.apache.ignite.client.ClientCache;
import org.apache.ignite.client.ClientTransaction;
import org.apache.ignite.transactions.TransactionConcurrency;
import org.apache.ignite.transactions.TransactionIsolation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one resolver task's change-feed logs ({@link Feed}) within {@code retention.feed}, and
 * removes tombstones older than {@code retention.tombstones} (docs/ignite.md, "Retention").
 *
 * <p>Each sweep first notes where each log's head is now (a checkpoint: [time, head], at most
 * {@link #MAX_CHECKPOINTS} of them per log), so it knows which positions were written before
 * a given time. Then it removes, oldest first, the blocks written before {@code now - feed}, in
 * steps of at most {@link #STEP_POSITIONS} positions, each one transaction that:
 * <ul>
 * <li>appends again, as one block at the head, the record versions of the removed blocks that
 *     are still their record's current one, so a pull from the beginning still gives every
 *     record (and a reader that is behind gets them again, which it ignores: versions only go up);</li>
 * <li>removes, instead of appending it, a tombstone older than {@code retention.tombstones},
 *     and raises the db's floor ({@link Feed#floorKey}) to its version, so a key written again
 *     gets a version above any it had;</li>
 * <li>moves the log's {@code trimmed} mark past the removed positions: a cursor before it is
 *     answered 410 {@code resync} ({@link FeedReader}).</li>
 * </ul>
 *
 * <p>Runs on the resolver's writer thread, between batches: the only thread that writes this
 * partition's logs and records, so a sweep never races a batch of its own task. A step is small
 * (a few getAll/putAll over at most a few hundred entries), so a sweep delays the next batch by
 * milliseconds; while it is catching up it runs again after {@link #CATCH_UP_MS}, else after
 * {@code retention.sweepEvery}.
 */
public final class FeedRetention {
    private static final Logger LOG = LoggerFactory.getLogger(FeedRetention.class);

    /** Positions one step reads and removes at most (plus the rest of the block it ends inside). */
    static final int STEP_POSITIONS = 512;
    /** Checkpoints kept per log: the feed is kept at most {@code feed / MAX_CHECKPOINTS} longer than asked. */
    static final int MAX_CHECKPOINTS = 100;
    /** The pause between steps while old blocks remain. */
    static final long CATCH_UP_MS = 200;

    /** What one sweep did, over every db: blocks removed, versions appended again, tombstones removed; more: old blocks remain. */
    public record Swept(long removedPositions, int carried, int tombstones, boolean more) {
        static final Swept NONE = new Swept(0, 0, 0, false);

        Swept plus(Swept o) {
            return new Swept(removedPositions + o.removedPositions, carried + o.carried, tombstones + o.tombstones,
                    more || o.more);
        }
    }

    private final SyncConfig config;
    private final SyncCaches caches;
    private final int partition;
    private final LongSupplier clock;
    private long nextSweepAt;
    private java.util.function.BiConsumer<StoreConfig, java.util.Collection<String>> onRecordsRemoved = (store, keys) -> { };

    public FeedRetention(SyncConfig config, SyncCaches caches, int partition, LongSupplier clock) {
        this.config = config;
        this.caches = caches;
        this.partition = partition;
        this.clock = clock;
    }

    /**
     * The partitions resolver task {@code taskIndex} of {@code tasks} sweeps: its own, and the logs
     * no task writes any more (after {@code topology.resolveParallelism} was lowered) that readers
     * still look at (below {@link Feed#PARTITIONS_PROBED}), each adopted by the task whose index
     * is the partition modulo {@code tasks}. Nothing is written for a partition that never had a
     * log (its sweep reads three keys per db and stops). An adopted log is written only by its
     * sweep: it appends the versions still current at its own head, and removes an expired
     * tombstone only if the record is still that tombstone, in a transaction that fails when
     * another writer got there first, so the record's owner and the sweep never overwrite each other.
     */
    public static List<Integer> partitionsOf(int taskIndex, int tasks) {
        List<Integer> out = new ArrayList<>();
        out.add(taskIndex);
        for (int p = tasks; p < Feed.PARTITIONS_PROBED; p++) {
            if (p % tasks == taskIndex) {
                out.add(p);
            }
        }
        return out;
    }

    /** {@code r} is told which records a sweep removes (before its commit): the resolver's cache forgets them. */
    public void onRecordsRemoved(java.util.function.BiConsumer<StoreConfig, java.util.Collection<String>> r) {
        onRecordsRemoved = r;
    }

    /** Sweeps when it is time (nothing when retention is off); what it did, or null when it did not run. */
    public Swept maybeSweep() {
        RetentionConfig r = config.retention();
        if (!r.enabled()) {
            return null;
        }
        long now = clock.getAsLong();
        if (now < nextSweepAt) {
            return null;
        }
        Swept s;
        try {
            s = sweep(now);
        } catch (RuntimeException e) {
            // Ignite unreachable, a concurrent write (a conflicting commit): the next sweep tries again
            LOG.warn("change feed retention, partition {}: a sweep failed; trying again in {} ms: {}", partition,
                    r.sweepEveryMs(), e.toString());
            nextSweepAt = now + r.sweepEveryMs();
            return null;
        }
        nextSweepAt = now + (s.more() ? CATCH_UP_MS : r.sweepEveryMs());
        return s;
    }

    /** One step for each configured db, at time {@code now}. */
    public Swept sweep(long now) {
        Swept total = Swept.NONE;
        for (String db : config.stores().keySet()) {
            total = total.plus(step(db, now));
        }
        return total;
    }

    private Swept step(String db, long now) {
        RetentionConfig r = config.retention();
        ClientCache<String, String> feed = caches.feed();
        String headKey = Feed.headKey(db, partition);
        String trimmedKey = Feed.trimmedKey(db, partition);
        String agesKey = Feed.agesKey(db, partition);
        Map<String, String> meta = feed.getAll(new TreeSet<>(List.of(headKey, trimmedKey, agesKey)));
        long head = number(meta.get(headKey));
        long trimmed = number(meta.get(trimmedKey));
        Checkpoints ages = Checkpoints.parse(meta.get(agesKey));
        boolean noted = ages.note(now, head, Math.max(1, r.feedMs() / MAX_CHECKPOINTS));
        long target = ages.headBefore(now - r.feedMs());
        if (target <= trimmed) {
            if (noted) {
                feed.put(agesKey, ages.toJson());
            }
            return Swept.NONE;
        }

        // The blocks from trimmed + 1 on, up to STEP_POSITIONS positions (a block is never cut).
        long to = Math.min(target, trimmed + STEP_POSITIONS);
        Set<String> keys = new TreeSet<>();
        for (long i = trimmed + 1; i <= to; i++) {
            keys.add(Feed.entryKey(db, partition, i));
        }
        Map<String, String> entries = feed.getAll(keys);
        List<FeedBlock> blocks = new ArrayList<>();
        Set<String> remove = new TreeSet<>();
        long pos = trimmed;
        while (pos < to) {
            String key = Feed.entryKey(db, partition, pos + 1);
            String stored = entries.get(key);
            FeedBlock block = FeedBlock.parse(pos, stored);
            if (block == null) {
                if (stored != null) {
                    remove.add(key); // not in idbsync's format: it names nothing a reader could serve
                }
                pos++; // a block removed by hand: its positions have no entry
                continue;
            }
            blocks.add(block);
            remove.add(key);
            pos = block.end();
        }

        // What of them is still current: appended again, or removed when an expired tombstone.
        Map<StoreConfig, Set<String>> byStore = new LinkedHashMap<>();
        for (FeedBlock b : blocks) {
            for (FeedBlock.Version v : b.versions()) {
                StoreConfig sc = config.store(db, v.store());
                if (sc != null) { // a store no longer configured: its versions go with their block
                    byStore.computeIfAbsent(sc, s -> new TreeSet<>()).add(v.key());
                }
            }
        }
        Map<StoreConfig, Map<String, String>> current = new HashMap<>();
        byStore.forEach((sc, ks) -> current.put(sc, caches.records(sc).getAll(ks)));
        List<RecordState> carry = new ArrayList<>();
        Map<StoreConfig, Map<String, String>> expired = new LinkedHashMap<>();
        long floorWanted = 0;
        for (FeedBlock b : blocks) {
            for (FeedBlock.Version v : b.versions()) {
                StoreConfig sc = config.store(db, v.store());
                String stored = sc == null ? null : current.get(sc).get(v.key());
                RecordState now0 = parse(stored);
                if (now0 == null || now0.version() != v.version()) {
                    continue; // a newer version is later in the log (or the record is gone)
                }
                if (now0.deleted() && now - now0.serverTs() >= r.tombstonesMs()) {
                    expired.computeIfAbsent(sc, s -> new TreeMap<>()).put(v.key(), stored);
                    floorWanted = Math.max(floorWanted, now0.version());
                } else {
                    carry.add(now0);
                }
            }
        }

        int tombstones = 0;
        try (ClientTransaction tx = caches.client().transactions().txStart(TransactionConcurrency.OPTIMISTIC,
                TransactionIsolation.SERIALIZABLE, config.ignite().clientTimeoutMs())) {
            Map<String, String> writes = new TreeMap<>();
            String floorKey = Feed.floorKey(db);
            Map<String, String> now1 = feed.getAll(new TreeSet<>(List.of(headKey, floorKey)));
            long headNow = number(now1.get(headKey));
            if (!carry.isEmpty()) {
                writes.put(Feed.entryKey(db, partition, headNow + 1), Feed.block(carry));
                writes.put(headKey, Long.toString(headNow + carry.size()));
            }
            if (floorWanted > number(now1.get(floorKey))) {
                writes.put(floorKey, Long.toString(floorWanted));
            }
            writes.put(trimmedKey, Long.toString(pos));
            ages.dropThrough(pos);
            writes.put(agesKey, ages.toJson());
            feed.putAll(writes);
            feed.removeAll(remove);
            for (Map.Entry<StoreConfig, Map<String, String>> e : expired.entrySet()) {
                ClientCache<String, String> records = caches.records(e.getKey());
                onRecordsRemoved.accept(e.getKey(), e.getValue().keySet());
                for (Map.Entry<String, String> t : e.getValue().entrySet()) {
                    if (records.remove(t.getKey(), t.getValue())) { // only if still that tombstone
                        tombstones++;
                    }
                }
            }
            tx.commit();
        }
        LOG.info("change feed retention, db {}, partition {}: removed positions {} to {} (written over {} ago), appended"
                        + " {} current versions again at the head, removed {} expired tombstones", db, partition,
                trimmed + 1, pos, RetentionConfig.format(r.feedMs()), carry.size(), tombstones);
        return new Swept(pos - trimmed, carry.size(), tombstones, pos < target);
    }

    private static long number(String stored) {
        return stored == null ? 0 : Long.parseLong(stored);
    }

    private static RecordState parse(String stored) {
        try {
            return stored == null ? null : RecordState.fromJson(stored);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** A log's checkpoints, oldest first: at time t its head was h, so positions up to h were written before t. */
    static final class Checkpoints {
        private final List<long[]> points = new ArrayList<>();

        static Checkpoints parse(String stored) {
            Checkpoints c = new Checkpoints();
            if (stored == null) {
                return c;
            }
            try {
                JsonNode n = Json.MAPPER.readTree(stored);
                for (JsonNode p : n) {
                    c.points.add(new long[] {p.get(0).asLong(), p.get(1).asLong()});
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("change feed retention: the checkpoints {} are not in idbsync's format; starting again", stored);
                c.points.clear();
            }
            return c;
        }

        /** Notes the head at {@code now} when it moved and the last note is at least {@code spacing} old. */
        boolean note(long now, long head, long spacing) {
            long[] last = points.isEmpty() ? null : points.get(points.size() - 1);
            if (head <= 0 || last != null && (head <= last[1] || now - last[0] < spacing)) {
                return false;
            }
            points.add(new long[] {now, head});
            while (points.size() > MAX_CHECKPOINTS + 1) {
                points.remove(0); // only when the spacing was changed to less: the oldest go first
            }
            return true;
        }

        /** The highest head noted at or before {@code time}: every position up to it is older than that. */
        long headBefore(long time) {
            long h = 0;
            for (long[] p : points) {
                if (p[0] <= time) {
                    h = Math.max(h, p[1]);
                }
            }
            return h;
        }

        /** Forgets the checkpoints whose positions are all removed. */
        void dropThrough(long trimmed) {
            points.removeIf(p -> p[1] <= trimmed);
        }

        String toJson() {
            ArrayNode a = Json.MAPPER.createArrayNode();
            for (long[] p : points) {
                a.addArray().add(p[0]).add(p[1]);
            }
            return a.toString();
        }
    }
}
