package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.ignite.Endpoints;
import dev.idbsync.ignite.Endpoints.Endpoint;
import java.lang.reflect.Proxy;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ignite.client.ClientCache;
import org.apache.ignite.client.ClientConnectionException;
import org.junit.jupiter.api.Test;

/** The heartbeat writes the entry with the clock's time, survives a failing Ignite, and close removes it. */
class EndpointRegistryTest {
    private final Map<String, String> stored = new ConcurrentHashMap<>();
    private final AtomicBoolean down = new AtomicBoolean();

    @SuppressWarnings("unchecked")
    private final ClientCache<String, String> cache = (ClientCache<String, String>) Proxy.newProxyInstance(
            getClass().getClassLoader(), new Class<?>[] {ClientCache.class}, (p, m, a) -> {
                if (down.get()) {
                    throw new ClientConnectionException("Ignite is down");
                }
                return switch (m.getName()) {
                    case "put" -> stored.put((String) a[0], (String) a[1]);
                    case "remove" -> stored.remove((String) a[0]) != null;
                    default -> throw new UnsupportedOperationException(m.getName());
                };
            });

    @Test
    void aHeartbeatRewritesTheEntryAndCloseRemovesIt() {
        AtomicLong now = new AtomicLong(1_000);
        Endpoint self = new Endpoint("127.0.0.1", 8081, "http", 1, 1_000, 1_000);
        EndpointRegistry r = new EndpointRegistry(new Endpoints(cache), "idbsync", self, now::get);
        assertTrue(r.beat());
        assertEquals(self, Endpoint.parse(stored.get("idbsync/1")));
        now.set(6_000);
        assertTrue(r.beat());
        assertEquals(6_000, Endpoint.parse(stored.get("idbsync/1")).heartbeatAt());

        down.set(true);
        now.set(11_000);
        assertFalse(r.beat()); // logged, not thrown
        down.set(false);
        r.close();
        assertFalse(stored.containsKey("idbsync/1"));
    }

    @Test
    void closeWithIgniteDownDoesNotThrow() {
        EndpointRegistry r = new EndpointRegistry(new Endpoints(cache), "idbsync",
                new Endpoint("h", 8080, "http", 0, 0, 0), () -> 0);
        down.set(true);
        assertFalse(r.beat());
        r.close();
    }
}
