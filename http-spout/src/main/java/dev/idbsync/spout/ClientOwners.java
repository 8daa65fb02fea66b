package dev.idbsync.spout;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.ignite.client.ClientCache;

/**
 * Who owns each clientId when auth is on (PROTOCOL.md 1.1): the user whose token first pushed
 * with it in that db. The binding is in Ignite ({@code SyncCaches.owners()}, keyed
 * {@code db/clientId} like the marks), written once with {@code putIfAbsent}: atomic across spout
 * tasks and workers, and persistent like the marks. A task remembers the bindings it has seen
 * match (never a refusal: those always ask Ignite), so a client's later pushes cost no Ignite
 * call. Thread-safe.
 */
final class ClientOwners {
    /** Bindings remembered per task, least recently used dropped first: a few MiB at most. */
    static final int REMEMBERED = 10_000;

    /** Where the bindings live. */
    interface Store {
        /** Binds {@code key} to {@code user} unless it is bound; returns its owner after that. May block. */
        String bind(String key, String user);

        /** The owner of {@code key}, or null. May block. */
        String owner(String key);
    }

    /** The bindings in an Ignite cache. */
    static Store over(ClientCache<String, String> cache) {
        return new Store() {
            @Override
            public String bind(String key, String user) {
                return cache.putIfAbsent(key, user) ? user : cache.get(key);
            }

            @Override
            public String owner(String key) {
                return cache.get(key);
            }
        };
    }

    private final Store store;
    private final Map<String, String> seen = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
            return size() > REMEMBERED;
        }
    };

    ClientOwners(Store store) {
        this.store = store;
    }

    /** For a push: binds the clientId to {@code user} if it is free; whether {@code user} owns it. */
    boolean claim(String db, String clientId, String user) {
        String key = db + "/" + clientId;
        return remembered(key, user) || remember(key, user, store.bind(key, user));
    }

    /** For a read: whether {@code user} owns the clientId (false for one never pushed with). */
    boolean owns(String db, String clientId, String user) {
        String key = db + "/" + clientId;
        return remembered(key, user) || remember(key, user, store.owner(key));
    }

    private boolean remembered(String key, String user) {
        synchronized (seen) {
            return user.equals(seen.get(key));
        }
    }

    private boolean remember(String key, String user, String owner) {
        if (!user.equals(owner)) {
            return false;
        }
        synchronized (seen) {
            seen.put(key, user);
        }
        return true;
    }
}
