package dev.idbsync.ignite;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.validate.ChangeValidator;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.SinkEvent;
import dev.idbsync.protocol.Status;
import dev.idbsync.resolve.ConflictPolicies;
import dev.idbsync.resolve.ConflictPolicy;
import dev.idbsync.resolve.Decision;
import dev.idbsync.resolve.RecordState;
import dev.idbsync.resolve.Resolver;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.function.LongSupplier;
import org.apache.ignite.client.ClientCache;
import org.apache.ignite.client.ClientTransaction;
import org.apache.ignite.client.IgniteClientFuture;
import org.apache.ignite.transactions.TransactionConcurrency;
import org.apache.ignite.transactions.TransactionIsolation;
import org.apache.ignite.transactions.TransactionOptimisticException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides a batch of admitted changes and makes the decisions durable: in one Ignite
 * transaction it reads the batch's records and any outcomes already stored, resolves the
 * changes one after another in arrival order ({@link Resolver}, each store's policy), and writes
 * the new record versions and every new outcome. A change that already has an outcome (a retry,
 * or a replay of a change whose first attempt did commit) is not decided again: it keeps its
 * outcome and its version. Either the whole batch is durable or none of it is.
 */
public final class ResolveWriter {
    private static final Logger LOG = LoggerFactory.getLogger(ResolveWriter.class);

    /**
     * One change for the resolver: {@code rejected} is its result when validation rejected it;
     * {@code redeliver} marks a change the sequencer found decided already, whose stored event is
     * only to be delivered again to the sinks after Ignite (it is never decided again).
     */
    public record Item(Change change, String push, Result rejected, boolean redeliver) {
    }

    private final SyncConfig config;
    private final SyncCaches caches;
    private final LongSupplier clock;
    private final Resolver resolver = new Resolver();
    private final int partition;
    private final Map<String, ConflictPolicy> policies = new HashMap<>();
    /** The records this task committed or read last ({@code topology.resolverCacheMb}). */
    private final RecordCache recordCache;
    /** Records the batches needed: how many came from memory, how many were read from Ignite. */
    private long recordsFromMemory;
    private long recordsFromIgnite;
    /** db → the head of this partition's log as this task's last commit left it; the records cached are as of then. */
    private final Map<String, Long> heads = new HashMap<>();
    /** Runs each time a batch is decided again after its commit met a concurrent write (metrics). */
    private Runnable onRetry = () -> { };

    /** Loads every store's policy now, so that a custom policy that cannot be made stops start-up. */
    public ResolveWriter(SyncConfig config, SyncCaches caches, LongSupplier clock) {
        this(config, caches, clock, 0);
    }

    /** @param partition this resolver task's index: the feed partition it appends to */
    public ResolveWriter(SyncConfig config, SyncCaches caches, LongSupplier clock, int partition) {
        this.config = config;
        this.caches = caches;
        this.clock = clock;
        this.partition = partition;
        this.recordCache = new RecordCache(config.topology().resolverCacheMb() * 1024L * 1024L);
        for (StoreConfig s : config.allStores()) {
            policies.put(s.db() + "/" + s.store(), ConflictPolicies.forName(s.policy(), getClass().getClassLoader()));
        }
    }

    /**
     * Creates every cache the resolver writes. Must run before the first transaction: creating a
     * cache inside one waits for the cluster's partition exchange, which waits for the
     * transaction, until the transaction times out.
     */
    public void createCaches() {
        for (StoreConfig s : config.allStores()) {
            caches.records(s);
        }
        caches.outcomes();
        caches.rejected();
        caches.rejectedIndex();
        caches.feed();
    }

    /**
     * A policy that throws (a custom policy's bug) must not stall the record: the change is
     * rejected with {@code policy_failed}, which uses up its seq like any rejection, and the
     * record is left as it was.
     */
    private Decision decide(Change c, RecordState current, StoreConfig store, long now, long absentVersion) {
        try {
            return resolver.decide(c, current, store.policy(), policies.get(store.db() + "/" + store.store()), now,
                    absentVersion);
        } catch (RuntimeException | StackOverflowError | LinkageError e) {
            LOG.warn("policy {} of store {}/{} failed on {}; the change is rejected: {}", store.policy(), store.db(),
                    store.store(), c.eventId(), e.toString());
            // cut like a schema error: a policy's exception may quote the value
            ChangeError error = new ChangeError("policy_failed", null, ChangeValidator.cut("the store's conflict policy "
                    + store.policy() + " failed on this change: " + e));
            return new Decision(Result.rejected(c.seq(), error), null);
        }
    }

    /**
     * Decides the batch and returns, for each item in order, the event the sinks after Ignite
     * must get (null when there is none: a rejected change, or a redelivery of a change whose
     * outcome is gone). Throws what Ignite threw; nothing of the batch is then durable.
     */
    /**
     * What the sinks after Ignite get for one change: its event, or for a rejected change its
     * rejected-changes log entry; {@code again} when the change was decided before (a redelivery).
     */
    public record Emitted(SinkEvent event, ObjectNode rejectedEntry, boolean again) {
    }

    /** {@code r} runs each time a batch is decided again because its commit met a concurrent write. */
    public void onRetry(Runnable r) {
        onRetry = r;
    }

    /** Attempts of one batch when a commit finds that what it read has changed meanwhile. */
    static final int ATTEMPTS = 3;

    /** Records the batches decided so far needed that were in memory ({@link RecordCache}). */
    public long recordsFromMemory() {
        return recordsFromMemory;
    }

    /** Records the batches decided so far needed that were read from Ignite (not in memory, or dropped). */
    public long recordsFromIgnite() {
        return recordsFromIgnite;
    }

    /** The records this task keeps in memory; the retention sweep tells it which it removed. */
    public RecordCache recordCache() {
        return recordCache;
    }

    public List<Emitted> write(List<Item> batch) {
        for (int attempt = 1; ; attempt++) {
            try {
                return writeOnce(batch);
            } catch (RuntimeException | Error e) { // the thin client's ClientServerError is not a ClientException
                // Committed or not: the batch's records are read from Ignite again. (If it did
                // commit, the head it moved also tells the next batch; heads keeps the old value.)
                forget(batch);
                if (attempt >= ATTEMPTS || !isOptimisticConflict(e)) {
                    throw e;
                }
                LOG.info("a batch of {} changes met a concurrent write (attempt {} of {}); deciding it again: {}",
                        batch.size(), attempt, ATTEMPTS, e.getMessage());
                onRetry.run();
            }
        }
    }

    /**
     * Whether a commit failed only because of another transaction: an entry it read was changed
     * after the read, or an entry it writes was locked by a transaction committing at that moment
     * (an optimistic transaction does not wait for the lock).
     */
    public static boolean isOptimisticConflict(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (t instanceof TransactionOptimisticException
                    // what the thin client passes on of the server's IgniteTxOptimisticCheckedException
                    || m != null && (m.contains("read/write conflict") || m.contains("(lock conflict)"))) {
                return true;
            }
        }
        return false;
    }

    private void forget(List<Item> batch) {
        for (Item item : batch) {
            StoreConfig store = config.store(item.change().db(), item.change().store());
            if (store != null) {
                recordCache.forget(store, List.of(item.change().keyString()));
            }
        }
    }

    private List<Emitted> writeOnce(List<Item> batch) {
        long now = clock.getAsLong();
        // Sorted key sets and maps throughout: Ignite takes a transaction's locks in the order it
        // is given the keys, and two transactions taking them in different orders could deadlock.
        Set<String> ids = new TreeSet<>();
        Map<StoreConfig, Set<String>> keysByStore = new LinkedHashMap<>();
        for (Item item : batch) {
            ids.add(StoredOutcome.key(item.change()));
            StoreConfig store = config.store(item.change().db(), item.change().store());
            if (item.rejected() == null && !item.redeliver() && store != null) {
                keysByStore.computeIfAbsent(store, s -> new TreeSet<>()).add(item.change().keyString());
            }
        }
        List<Emitted> events = new ArrayList<>(batch.size());
        // OPTIMISTIC SERIALIZABLE: reads take no locks; the commit locks what the transaction
        // wrote and fails (TransactionOptimisticException) when an entry it read was changed after
        // the read, and the batch is then decided again from fresh reads. The records, outcomes and
        // feed heads are this task's own (tuples are grouped by record), so that happens only to a
        // client's rejected-changes index, which every resolver task may append to, or behind a
        // transaction of this task that timed out on the client but still committed on the server.
        // Measured against PESSIMISTIC REPEATABLE_READ (a lock per read key, one lock round per
        // getAll and putAll): docs/performance.md.
        try (ClientTransaction tx = caches.client().transactions().txStart(TransactionConcurrency.OPTIMISTIC,
                TransactionIsolation.SERIALIZABLE, config.ignite().clientTimeoutMs())) {
            ClientCache<String, String> outcomeCache = caches.outcomes();
            Map<String, Emitted> decided = new HashMap<>(); // decided in this batch
            // The two reads go out together (one round trip, not two): Ignite runs a transaction's
            // requests one at a time on the server, in the order they arrive.
            IgniteClientFuture<Map<String, String>> outcomesRead = outcomeCache.getAllAsync(ids);
            Set<String> metaKeys = feedMetaKeys(keysByStore);
            IgniteClientFuture<Map<String, String>> metaRead = metaKeys.isEmpty() ? null : caches.feed().getAllAsync(metaKeys);
            awaitAll(metaRead == null ? List.of(outcomesRead) : List.of(outcomesRead, metaRead));
            Map<String, StoredOutcome> before = new HashMap<>(); // decided in an earlier batch
            done(outcomesRead).forEach((id, json) -> before.put(id, StoredOutcome.fromJson(json)));
            Map<String, RecordState> resentAs = recordsOfOtherChanges(batch, before);
            // The fence first: a head of this partition's log not where this task left it means
            // someone else committed records here (a late commit of an earlier run of this task, or
            // a run of it that was thought dead): what this task remembers may be stale.
            Map<String, String> feedMeta = metaRead == null ? Map.<String, String>of() : done(metaRead);
            for (StoreConfig store : keysByStore.keySet()) {
                Long expected = heads.get(store.db());
                if (expected != null && expected != head(feedMeta, store.db())) {
                    LOG.info("the change feed head of db {}, partition {} moved from {} to {} without this task;"
                            + " reading its records from Ignite again", store.db(), partition, expected,
                            head(feedMeta, store.db()));
                    recordCache.clear();
                    heads.clear();
                    break;
                }
            }
            Map<StoreConfig, Map<String, RecordState>> states = new LinkedHashMap<>();
            Map<StoreConfig, Map<String, String>> loaded = new LinkedHashMap<>(); // read from Ignite: their JSON
            for (Map.Entry<StoreConfig, Set<String>> e : keysByStore.entrySet()) {
                Map<String, RecordState> m = recordCache.get(e.getKey(), e.getValue());
                Set<String> missing = new TreeSet<>(e.getValue());
                missing.removeAll(m.keySet());
                recordsFromMemory += m.size();
                recordsFromIgnite += missing.size();
                if (!missing.isEmpty()) {
                    Map<String, String> read = caches.records(e.getKey()).getAll(missing);
                    read.forEach((k, v) -> m.put(k, RecordState.fromJson(v)));
                    loaded.put(e.getKey(), read);
                }
                states.put(e.getKey(), m);
            }
            Map<StoreConfig, Map<String, String>> recordWrites = new LinkedHashMap<>();
            Map<String, String> outcomeWrites = new TreeMap<>();
            Map<String, String> rejectedWrites = new TreeMap<>();
            Map<String, List<RecordState>> feedVersions = new TreeMap<>(); // db -> the batch's new versions, in order
            Map<String, List<Long>> rejectedSeqs = new TreeMap<>();
            for (Item item : batch) {
                Change c = item.change();
                String id = StoredOutcome.key(c);
                if (decided.containsKey(id)) {
                    events.add(decided.get(id));
                    continue;
                }
                if (before.containsKey(id) || item.redeliver()) {
                    // decided before: keeps its first outcome and version; its event goes out again,
                    // and its push is answered from that outcome (StoredOutcome.answersDuplicate)
                    StoredOutcome prior = before.get(id);
                    events.add(prior == null ? null : again(prior, c, resentAs));
                    continue;
                }
                Result result;
                SinkEvent event = null;
                ObjectNode rejectedEntry = null;
                if (item.rejected() != null) {
                    result = item.rejected();
                } else {
                    StoreConfig store = config.store(c.db(), c.store());
                    Map<String, RecordState> m = states.get(store);
                    RecordState current = m.get(c.keyString());
                    Decision d = decide(c, current, store, now, floor(feedMeta, c.db()));
                    result = d.result();
                    if (d.next() != null) {
                        m.put(c.keyString(), d.next());
                        recordWrites.computeIfAbsent(store, s -> new TreeMap<>()).put(c.keyString(), d.next().toJson());
                        feedVersions.computeIfAbsent(c.db(), db -> new ArrayList<>()).add(d.next());
                    }
                    RecordState after = d.next() != null ? d.next() : current;
                    if (result.status() != Status.REJECTED && after != null) {
                        event = event(c, after, result, now);
                    }
                }
                if (result.status() == Status.REJECTED) {
                    rejectedEntry = RejectedLog.entry(c, result.error(), now, config.limits().maxRejectedValueBytes());
                    rejectedWrites.put(id, rejectedEntry.toString());
                    rejectedSeqs.computeIfAbsent(RejectedLog.clientKey(c.db(), c.clientId()), k -> new ArrayList<>()).add(c.seq());
                }
                Emitted emitted = event == null && rejectedEntry == null ? null : new Emitted(event, rejectedEntry, false);
                decided.put(id, emitted);
                events.add(emitted);
                outcomeWrites.put(id, StoredOutcome.decided(result, item.push(), c, event, rejectedEntry).toJson());
            }
            // The writes go out together too; the rejected-changes log (rare) reads before it writes.
            List<IgniteClientFuture<?>> writes = new ArrayList<>();
            if (!feedVersions.isEmpty()) {
                writes.add(caches.feed().putAllAsync(feedBlocks(feedVersions, feedMeta)));
            }
            for (Map.Entry<StoreConfig, Map<String, String>> e : recordWrites.entrySet()) {
                writes.add(caches.records(e.getKey()).putAllAsync(e.getValue()));
            }
            if (!outcomeWrites.isEmpty()) {
                writes.add(outcomeCache.putAllAsync(outcomeWrites));
            }
            awaitAll(writes);
            if (!rejectedWrites.isEmpty()) {
                caches.rejected().putAll(rejectedWrites);
                Map<String, String> index = caches.rejectedIndex().getAll(rejectedSeqs.keySet());
                Map<String, String> indexWrites = new TreeMap<>();
                rejectedSeqs.forEach((k, seqs) -> indexWrites.put(k, RejectedLog.append(index.get(k), seqs, now)));
                caches.rejectedIndex().putAll(indexWrites);
            }
            tx.commit();
            for (StoreConfig store : keysByStore.keySet()) {
                List<RecordState> appended = feedVersions.get(store.db());
                heads.put(store.db(), head(feedMeta, store.db()) + (appended == null ? 0 : appended.size()));
            }
            remember(states, loaded, recordWrites);
        }
        return events;
    }

    /** After a commit: the batch's records as they now are in Ignite, read or written. */
    private void remember(Map<StoreConfig, Map<String, RecordState>> states, Map<StoreConfig, Map<String, String>> loaded,
                          Map<StoreConfig, Map<String, String>> written) {
        loaded.forEach((store, read) -> read.forEach((k, json) -> {
            if (!written.getOrDefault(store, Map.of()).containsKey(k)) {
                recordCache.put(store, k, states.get(store).get(k), json);
            }
        }));
        written.forEach((store, writes) -> writes.forEach((k, json) -> recordCache.put(store, k, states.get(store).get(k), json)));
    }

    /**
     * In one read, in the transaction: the head of this partition's log of each db the batch may
     * write ({@link #feedBlocks}), and the version a record that is not there counts as being at
     * ({@link Feed#floorKey}). In the transaction, so that a retention sweep or any other writer
     * that moves either meanwhile makes the commit fail and the batch is decided again. Every
     * transaction that writes a record of the db moves its head: the head is also the fence of
     * {@link RecordCache}.
     */
    private Set<String> feedMetaKeys(Map<StoreConfig, Set<String>> keysByStore) {
        Set<String> keys = new TreeSet<>();
        keysByStore.forEach((store, ids) -> {
            keys.add(Feed.headKey(store.db(), partition));
            keys.add(Feed.floorKey(store.db()));
        });
        return keys;
    }

    /** The value of a request {@link #awaitAll} saw succeed. */
    private static <T> T done(IgniteClientFuture<T> request) {
        return request.toCompletableFuture().join();
    }

    /**
     * Waits for every request of the transaction sent without waiting; then throws the first
     * failure, as the request would have thrown it (a transaction is never committed or rolled
     * back while a request of it is still out).
     */
    private static void awaitAll(List<? extends IgniteClientFuture<?>> requests) {
        RuntimeException failed = null;
        for (IgniteClientFuture<?> f : requests) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failed = failed != null ? failed : new IllegalStateException("interrupted while waiting for Ignite", e);
            } catch (ExecutionException e) {
                RuntimeException r = e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                failed = failed != null ? failed : r;
            }
        }
        if (failed != null) {
            throw failed;
        }
    }

    private long head(Map<String, String> feedMeta, String db) {
        String v = feedMeta.get(Feed.headKey(db, partition));
        return v == null ? 0 : Long.parseLong(v);
    }

    private static long floor(Map<String, String> feedMeta, String db) {
        String v = feedMeta.get(Feed.floorKey(db));
        return v == null ? 0 : Long.parseLong(v);
    }

    /**
     * Appends the batch's new record versions to this partition's feed log of each db as one
     * block: one entry at the head + 1 that stands for as many positions as it holds versions,
     * and the head moved past them ({@link Feed}).
     */
    private Map<String, String> feedBlocks(Map<String, List<RecordState>> versionsByDb, Map<String, String> feedMeta) {
        Map<String, String> writes = new TreeMap<>();
        for (Map.Entry<String, List<RecordState>> e : versionsByDb.entrySet()) {
            String headKey = Feed.headKey(e.getKey(), partition);
            String stored = feedMeta.get(headKey); // read in the transaction: the commit fails if it moved meanwhile
            long head = stored == null ? 0 : Long.parseLong(stored);
            writes.put(Feed.entryKey(e.getKey(), partition, head + 1), Feed.block(e.getValue()));
            writes.put(headKey, Long.toString(head + e.getValue().size()));
        }
        return writes;
    }

    private static SinkEvent event(Change c, RecordState after, Result result, long now) {
        boolean conflict = result.status() == Status.CONFLICT;
        return new SinkEvent(c.eventId(), c.db(), c.store(), c.key(), c.keyString(), after.op(), after.value(),
                after.version(), c.clientId(), c.seq(), c.correctedTs(), now, result.status(),
                conflict ? result.policy() : null, conflict ? c.op() : null, conflict ? c.value() : null);
    }

    /**
     * What a change decided in an earlier batch delivers again: its stored event, or the one rebuilt
     * from the resend ({@link StoredOutcome#eventFor}); for a resend that is another change under the
     * same seq, the event is rebuilt from the record while it is still at the version that change
     * made ({@code resentAs}), and otherwise it cannot be delivered again (said in the log).
     */
    private Emitted again(StoredOutcome prior, Change resend, Map<String, RecordState> resentAs) {
        SinkEvent event = prior.eventFor(resend);
        StoredOutcome.EventOfChange of = prior.eventOfChange();
        if (event == null && of != null) {
            RecordState r = resentAs.get(recordRef(of));
            if (r != null && prior.result().version() != null && r.version() == prior.result().version()) {
                event = new SinkEvent(resend.eventId(), resend.db(), r.store(), r.key(), of.keyString(), r.op(),
                        r.value(), r.version(), resend.clientId(), resend.seq(), of.ts(), of.serverTs(), Status.APPLIED,
                        null, null, null);
            } else {
                LOG.warn("{} was sent again with another store, key, op or value than the change decided under that seq,"
                        + " and record {} of store {} is no longer at the version it made ({}): its event is not"
                        + " delivered to the sinks again", resend.eventId(), of.keyString(), of.store(),
                        prior.result().version());
            }
        }
        return event == null && prior.rejectedEntry() == null ? null : new Emitted(event, prior.rejectedEntry(), true);
    }

    private static String recordRef(StoredOutcome.EventOfChange of) {
        return of.store() + '\u0000' + of.keyString();
    }

    /**
     * In the transaction, only when there are any (a client that reused a seq for another change):
     * the records of changes decided before whose resends in this batch are not the change decided,
     * keyed by {@link #recordRef}.
     */
    private Map<String, RecordState> recordsOfOtherChanges(List<Item> batch, Map<String, StoredOutcome> before) {
        Map<StoreConfig, Set<String>> keys = new LinkedHashMap<>();
        for (Item item : batch) {
            StoredOutcome prior = before.get(StoredOutcome.key(item.change()));
            if (prior != null && prior.eventOfChange() != null && prior.eventFor(item.change()) == null) {
                StoreConfig store = config.store(item.change().db(), prior.eventOfChange().store());
                if (store != null) {
                    keys.computeIfAbsent(store, s -> new TreeSet<>()).add(prior.eventOfChange().keyString());
                }
            }
        }
        Map<String, RecordState> out = new HashMap<>();
        keys.forEach((store, ks) -> caches.records(store).getAll(ks)
                .forEach((k, json) -> out.put(store.store() + '\u0000' + k, RecordState.fromJson(json))));
        return out;
    }
}
