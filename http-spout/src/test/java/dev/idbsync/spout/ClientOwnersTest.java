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
