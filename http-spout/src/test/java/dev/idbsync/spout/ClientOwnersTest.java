package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The first user to push with a clientId owns it; a task remembers matches, never refusals. */
class ClientOwnersTest {
    private final Map<String, String> bindings = new ConcurrentHashMap<>();
    private final AtomicInteger calls = new AtomicInteger();
    private final ClientOwners owners = new ClientOwners(new ClientOwners.Store() {
        @Override
        public String bind(String key, String user) {
            calls.incrementAndGet();
            String before = bindings.putIfAbsent(key, user);
            return before == null ? user : before;
        }

        @Override
        public String owner(String key) {
            calls.incrementAndGet();
            return bindings.get(key);
        }
    });

    @Test
    void theFirstPusherOwnsTheClientIdInThatDb() {
        assertTrue(owners.claim("notes-app", "c1", "alice"));
        assertFalse(owners.claim("notes-app", "c1", "bob"));
        assertTrue(owners.claim("other-db", "c1", "bob"), "the binding is per db");
        assertEquals(Map.of("notes-app/c1", "alice", "other-db/c1", "bob"), bindings);
    }

    @Test
    void onlyTheOwnerReadsAndANeverSeenClientIdIsNobodys() {
        assertFalse(owners.owns("notes-app", "c1", "alice"), "never pushed with");
        assertTrue(bindings.isEmpty(), "reading binds nothing");
        owners.claim("notes-app", "c1", "alice");
        assertTrue(owners.owns("notes-app", "c1", "alice"));
        assertFalse(owners.owns("notes-app", "c1", "bob"));
    }

    @Test
    void withAHorizonTheOwnersPushesWriteTheBindingAgainEveryQuarterOfIt() {
        long[] now = {0};
        java.util.List<String> binds = new java.util.ArrayList<>();
        ClientOwners.Store store = new ClientOwners.Store() {
            @Override
            public String bind(String key, String user) {
                binds.add(key + "=" + user);
                String before = bindings.putIfAbsent(key, user);
                return before == null ? user : before;
            }

            @Override
            public String owner(String key) {
                return bindings.get(key);
            }
        };
        ClientOwners expiring = new ClientOwners(store, 4_000, () -> now[0]);
        assertTrue(expiring.claim("notes-app", "c1", "alice"));
        now[0] = 999;
        assertTrue(expiring.claim("notes-app", "c1", "alice"));
        assertEquals(1, binds.size(), "trusted for a quarter of the horizon (the mark's half)");
        now[0] = 1_000;
        assertTrue(expiring.claim("notes-app", "c1", "alice"));
        assertEquals(2, binds.size(), "written again: its expiry starts over");

        // The binding expired in the store (nobody pushed for its horizon): another user may take
        // it, and the old owner's memory of it does not outweigh the store once it is stale.
        bindings.clear();
        assertTrue(expiring.claim("notes-app", "c1", "bob"));
        now[0] = 2_000;
        assertFalse(expiring.claim("notes-app", "c1", "alice"));
        assertTrue(expiring.owns("notes-app", "c1", "bob"));

        // A read confirms without writing: it does not make a stale binding trusted for pushes.
        now[0] = 10_000;
        int before = binds.size();
        assertTrue(expiring.owns("notes-app", "c1", "bob"));
        assertTrue(expiring.claim("notes-app", "c1", "bob"));
        assertEquals(before + 1, binds.size());
    }

    @Test
    void aMatchIsRememberedARefusalAsksAgain() {
        owners.claim("notes-app", "c1", "alice");
        int after = calls.get();
        assertTrue(owners.claim("notes-app", "c1", "alice"));
        assertTrue(owners.owns("notes-app", "c1", "alice"));
        assertEquals(after, calls.get(), "no store call for a remembered match");
        owners.claim("notes-app", "c1", "bob");
        owners.claim("notes-app", "c1", "bob");
        assertEquals(after + 2, calls.get(), "refusals are never remembered");
    }
}
