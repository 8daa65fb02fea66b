package dev.idbsync.sequence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ClientLagTest {
    @Test
    void aClientLagsFromItsFirstUndecidedChangeUntilItsMarkCatchesUp() {
        ClientLag lag = new ClientLag(100);
        lag.received("notes/c1", 1, 0, 1_000);
        lag.received("notes/c1", 2, 0, 1_500);
        lag.received("notes/c1", 5, 0, 2_000); // a gap: stays undecided
        assertEquals(1, lag.lagging());
        assertEquals(5, lag.maxLag());
        assertEquals(9_000, lag.oldestPendingAgeMs(10_000));
        lag.decided("notes/c1", 2);
        assertEquals(3, lag.maxLag());
        assertEquals(8_000, lag.oldestPendingAgeMs(10_000), "seq 5 arrived at 2000");
        lag.decided("notes/c1", 5);
        assertEquals(0, lag.lagging());
        assertEquals(0, lag.maxLag());
        assertEquals(0, lag.oldestPendingAgeMs(10_000));
    }

    @Test
    void duplicatesDoNotLagAndTheTopListIsBounded() {
        ClientLag lag = new ClientLag(100);
        lag.received("notes/old", 3, 7, 0);
        assertEquals(0, lag.lagging());
        for (int i = 1; i <= 20; i++) {
            lag.received("notes/c" + i, i, 0, 100 * i);
        }
        Map<String, Long> top = lag.topByLag(3);
        assertEquals(Map.of("notes/c20", 20L, "notes/c19", 19L, "notes/c18", 18L), top);
        assertEquals("notes/c20", top.keySet().iterator().next());
        Map<String, Long> oldest = lag.topByPendingAge(2, 10_000);
        assertEquals(Map.of("notes/c1", 9_900L, "notes/c2", 9_800L), oldest);
    }

    @Test
    void atMostMaxClientsAreKept() {
        ClientLag lag = new ClientLag(5);
        for (int i = 1; i <= 8; i++) {
            lag.received("notes/c" + i, 1, 0, i);
        }
        assertEquals(5, lag.lagging());
        assertEquals(Map.of("notes/c4", 6L), lag.topByPendingAge(1, 10), "c1..c3, heard from longest ago, were dropped");
    }

    @Test
    void pendingSeqsPerClientAreBounded() {
        ClientLag lag = new ClientLag(5);
        for (int s = 1000; s > 0; s--) {
            lag.received("notes/c1", s, 0, 10_000 - s);
        }
        assertEquals(1000, lag.maxLag());
        assertEquals(64, lag.oldestPendingAgeMs(10_000), "the lowest 64 seqs are remembered: seq 64 came at 9936");
    }
}
