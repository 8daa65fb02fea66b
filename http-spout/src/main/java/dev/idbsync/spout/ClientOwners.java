package dev.idbsync.spout;

import dev.idbsync.ignite.SyncCaches;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.apache.ignite.client.ClientCache;

/**
 * Who owns each clientId when auth is on (PROTOCOL.md 1.1): the user whose token first pushed
 * with it in that db. The binding is in Ignite ({@code SyncCaches.owners()}, keyed
 * {@code db/clientId} like the marks), written once with {@code putIfAbsent}: atomic across spout
 * tasks and workers, and persistent like the marks. A task remembers the bindings it has seen
 * match (never a refusal: those always ask Ignite), so a client's later pushes cost no Ignite
 * call. Thread-safe.
 *
 * <p>With a client horizon ({@code retention.clients}) a binding expires twice the horizon after it
 * was last written, and every write of it starts that time again: a claim by the owner writes it
 * again (an atomic {@code replace} of the same value) when this task has not done so for half the
 * horizon. So a binding lives at least 1.5 horizons after its client's last push, longer than the
 * client's mark (one horizon after its last decided change): another user can take a clientId
 * only once nothing of its seqs is known any more.
 */
final class ClientOwners {
    /** Bindings remembered per task, least recently used dropped first: a few MiB at most. */
    static final int REMEMBERED = 10_000;

    /** Where the bindings live. */
    interface Store {
        /**
         * Binds {@code key} to {@code user} unless it is bound; returns its owner after that. A
         * binding to {@code user} is written again (its expiry starts over). May block.
         */
        String bind(String key, String user);

        /** The owner of {@code key}, or null. May block. */
        String owner(String key);
    }

    /** The bindings in an Ignite cache, kept for good ({@code horizonMs} 0) or that long after their last write. */
    static Store over(ClientCache<String, String> cache, long horizonMs) {
        ClientCache<String, String> writes = SyncCaches.expiringAfterWrite(cache, horizonMs);
        return new Store() {
            @Override
            public String bind(String key, String user) {
                for (int attempt = 0; attempt < 2; attempt++) {
                    if (writes.putIfAbsent(key, user)) {
                        return user;
                    }
                    if (horizonMs > 0 && writes.replace(key, user, user)) {
                        return user; // ours, and its time starts over
                    }
                    String owner = cache.get(key);
                    if (owner != null) {
                        return owner;
                    }
                    // it expired between the two calls: bind it again
                }
                return cache.get(key);
            }

            @Override
            public String owner(String key) {
                return cache.get(key);
            }
        };
    }

    /** A binding this task confirmed, and when it last wrote it. */
    private record Seen(String user, long writtenAt) {
    }

    private final Store store;
    /** A remembered binding is trusted this long after this task wrote it; Long.MAX_VALUE without a horizon. */
    private final long trustMs;
    private final LongSupplier clock;
    private final Map<String, Seen> seen = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Seen> eldest) {
            return size() > REMEMBERED;
        }
    };

    ClientOwners(Store store) {
        this(store, 0, System::currentTimeMillis);
    }

    /** {@code horizonMs}: how long a binding lives after its last write (0: for good). */
    ClientOwners(Store store, long horizonMs, LongSupplier clock) {
        this.store = store;
        this.trustMs = horizonMs > 0 ? horizonMs / 4 : Long.MAX_VALUE;
        this.clock = clock;
    }

    /** For a push: binds the clientId to {@code user} if it is free; whether {@code user} owns it. */
    boolean claim(String db, String clientId, String user) {
        String key = db + "/" + clientId;
        return remembered(key, user, true) || remember(key, user, store.bind(key, user), true);
    }

    /** For a read: whether {@code user} owns the clientId (false for one never pushed with). Writes nothing. */
    boolean owns(String db, String clientId, String user) {
        String key = db + "/" + clientId;
        return remembered(key, user, false) || remember(key, user, store.owner(key), false);
    }

    /** Whether this task confirmed the binding; for a push, also within the time it trusts its own write. */
    private boolean remembered(String key, String user, boolean push) {
        synchronized (seen) {
            Seen s = seen.get(key);
            return s != null && user.equals(s.user())
                    && (!push || trustMs == Long.MAX_VALUE || clock.getAsLong() - s.writtenAt() < trustMs);
        }
    }

    private boolean remember(String key, String user, String owner, boolean written) {
        if (!user.equals(owner)) {
            return false;
        }
        synchronized (seen) {
            Seen before = seen.get(key);
            // a read does not write the binding: it keeps the time of this task's last write
            long at = written ? clock.getAsLong() : before != null ? before.writtenAt() : Long.MIN_VALUE / 2;
            seen.put(key, new Seen(user, at));
        }
        return true;
    }
}
