package dev.idbsync.ignite;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.idbsync.ignite.Endpoints.Endpoint;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The stored format of an endpoint and the liveness rule, without Ignite. */
class EndpointsTest {
    private static final Endpoint E = new Endpoint("worker-1.internal", 8081, "https", 1, 1_000, 5_000);

    @Test
    void anEndpointRoundTripsThroughItsJson() {
        assertEquals("{\"host\":\"worker-1.internal\",\"port\":8081,\"scheme\":\"https\",\"taskIndex\":1,"
                + "\"startedAt\":1000,\"heartbeatAt\":5000}", E.toJson());
        assertEquals(E, Endpoint.parse(E.toJson()));
        assertEquals("idbsync/1", Endpoints.key("idbsync", 1));
        assertEquals("worker-1.internal:8081", E.hostPort());
    }

    @Test
    void liveMeansAHeartbeatAtMost15SecondsOld() {
        assertEquals(true, E.liveAt(5_000 + Endpoints.LIVE_MS));
        assertEquals(false, E.liveAt(5_000 + Endpoints.LIVE_MS + 1));
    }

    @Test
    void theListHoldsOnlyThisTopologysLiveEndpointsByTaskIndex() {
        Endpoint t0 = new Endpoint("h0", 8080, "http", 0, 0, 20_000);
        Endpoint stale = new Endpoint("h2", 8082, "http", 2, 0, 1_000);
        Endpoint other = new Endpoint("h9", 9090, "http", 0, 0, 20_000);
        Map<String, String> entries = Map.of("idbsync/1", E.beat(19_000).toJson(), "idbsync/0", t0.toJson(),
                "idbsync/2", stale.toJson(), "other/0", other.toJson(), "idbsync-b/0", other.toJson());
        assertEquals(List.of(t0, E.beat(19_000)), Endpoints.live(entries, "idbsync", 25_000));
    }
}
