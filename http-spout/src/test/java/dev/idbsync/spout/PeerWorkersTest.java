package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.health.SinkProbe;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.storm.generated.NodeInfo;
import org.junit.jupiter.api.Test;

class PeerWorkersTest {
    private final PeerWorkers.Address a = new PeerWorkers.Address("worker-1", 6700);
    private final PeerWorkers.Address b = new PeerWorkers.Address("worker-2", 6701);

    @Test
    void aWorkerThatRefusesIsDownUntilAProbeSentAfterItAcceptsAgainIsAcked() {
        Set<PeerWorkers.Address> refusing = new HashSet<>();
        PeerWorkers peers = new PeerWorkers(() -> Map.of(a, Set.of(1, 3), b, Set.of(2, 4)), Set.of(3, 4),
                addr -> !refusing.contains(addr), 1500, () -> 0);
        SinkProbe probe = peers.probe();
        peers.check();
        assertTrue(peers.allUp());
        assertDoesNotThrow(probe::check);
        assertEquals("workers", probe.name());
        assertEquals(List.of(), peers.toProbe(), "nothing to probe while every worker is up");

        refusing.add(b);
        peers.check();
        assertFalse(peers.allUp());
        assertEquals(Set.of(b), peers.down());
        IllegalStateException e = assertThrows(IllegalStateException.class, probe::check);
        assertEquals("worker worker-2:6701 refuses connections", e.getMessage());
        assertEquals(List.of(), peers.toProbe(), "a worker that refuses is not probed");

        // back: it accepts connections, but is up only once a probe to a task that takes them was acked
        refusing.clear();
        peers.check();
        peers.check();
        assertEquals(Set.of(b), peers.down());
        e = assertThrows(IllegalStateException.class, probe::check);
        assertEquals("worker worker-2:6701 is starting (accepts connections, not confirmed up yet)", e.getMessage());
        List<PeerWorkers.Probe> probes = peers.toProbe();
        assertEquals(1, probes.size());
        assertEquals(b, probes.get(0).worker());
        assertEquals(4, probes.get(0).task(), "task 2 takes no probes");
        peers.confirm(probes.get(0));
        peers.check();
        assertTrue(peers.allUp());
        assertDoesNotThrow(probe::check);
        assertEquals(List.of(), peers.toProbe());
    }

    @Test
    void aProbeSentBeforeTheWorkerRefusedAgainDoesNotCount() {
        Set<PeerWorkers.Address> refusing = new HashSet<>(Set.of(b));
        PeerWorkers peers = new PeerWorkers(() -> Map.of(a, Set.of(1), b, Set.of(2)), Set.of(1, 2),
                addr -> !refusing.contains(addr), 1500, () -> 0);
        peers.check();
        refusing.clear();
        peers.check();
        PeerWorkers.Probe early = peers.toProbe().get(0);
        refusing.add(b); // lost again (or a new worker in the slot) before the probe came back
        peers.check();
        refusing.clear();
        peers.check();
        peers.confirm(early);
        peers.check();
        assertEquals(Set.of(b), peers.down());
        PeerWorkers.Probe late = peers.toProbe().get(0);
        peers.confirm(late);
        peers.check();
        assertTrue(peers.allUp());
    }

    @Test
    void aWorkerWithNoTaskThatTakesProbesIsUpOnceItHasAcceptedForTheGracePeriod() {
        Set<PeerWorkers.Address> refusing = new HashSet<>(Set.of(b));
        long[] now = {0};
        PeerWorkers peers = new PeerWorkers(() -> Map.of(a, Set.of(1), b, Set.of(2)), Set.of(1),
                addr -> !refusing.contains(addr), 1500, () -> now[0]);
        peers.check();
        assertEquals(Set.of(b), peers.down());
        refusing.clear();
        now[0] = 10_000;
        peers.check();
        assertEquals(List.of(), peers.toProbe());
        now[0] = 11_000;
        peers.check();
        assertEquals(Set.of(b), peers.down());
        now[0] = 11_500;
        peers.check();
        assertTrue(peers.allUp());

        // a refusal during the grace period starts it again
        refusing.add(b);
        now[0] = 20_000;
        peers.check();
        refusing.clear();
        now[0] = 20_250;
        peers.check();
        refusing.add(b);
        now[0] = 20_500;
        peers.check();
        refusing.clear();
        now[0] = 21_000;
        peers.check();
        now[0] = 22_000;
        peers.check();
        assertEquals(Set.of(b), peers.down());
        now[0] = 22_500;
        peers.check();
        assertTrue(peers.allUp());
    }

    @Test
    void theOtherWorkersAreEveryAssignedSlotButThisWorkersOwnWithTheirTasks() {
        Map<Integer, NodeInfo> tasks = Map.of(
                1, new NodeInfo("sup-1", Set.of(6700L)), 2, new NodeInfo("sup-1", Set.of(6700L)),
                3, new NodeInfo("sup-1", Set.of(6701L)), 4, new NodeInfo("sup-2", Set.of(6700L)),
                5, new NodeInfo("sup-2", Set.of(6700L)));
        Map<String, String> hosts = Map.of("sup-1", "host-1", "sup-2", "host-2");
        assertEquals(Map.of(new PeerWorkers.Address("host-1", 6701), Set.of(3), new PeerWorkers.Address("host-2", 6700), Set.of(4, 5)),
                PeerWorkers.others(tasks, hosts, "sup-1", 6700));
        assertEquals(Map.of(), PeerWorkers.others(null, hosts, "sup-1", 6700), "not known yet");
    }

    @Test
    void aTopologyWithOneWorkerHasNoPeers() {
        PeerWorkers peers = new PeerWorkers(Map::of, Set.of(), addr -> false, 1500, () -> 0);
        peers.check();
        assertTrue(peers.allUp());
    }

    @Test
    void tcpConnectTellsAListeningPortFromAClosedOne() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
            assertTrue(PeerWorkers.tcpConnect(new PeerWorkers.Address("127.0.0.1", port)));
        }
        assertFalse(PeerWorkers.tcpConnect(new PeerWorkers.Address("127.0.0.1", port)));
    }
}
