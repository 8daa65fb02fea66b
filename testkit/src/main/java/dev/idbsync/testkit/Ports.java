package dev.idbsync.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free loopback ports for tests, so that test runs, a second test run and a local run can share a
 * machine. (The local run picks its own free ports in {@code LocalRun}: main code does not use
 * this module.)
 *
 * <p>A port is taken from below the kernel's ephemeral range when it has one
 * ({@code /proc/sys/net/ipv4/ip_local_port_range}, 32768 to 60999 by default): a port from that
 * range (what binding port 0 gives) can be taken by any outgoing connection (a thin client, ZooKeeper,
 * Storm's transport) in the seconds between the test getting it and binding it, which once made an
 * HTTP spout fail to start with "Address already in use".
 */
public final class Ports {
    /**
     * Ports handed out in this JVM. The kernel may offer a port again once its probe socket is
     * closed, before the test that got it binds it; one test that needs several ports (an Ignite
     * node, a Flume agent, the listener) must not get one twice.
     */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();
    /** The lowest port handed out below the ephemeral range. */
    static final int LOWEST = 15000;

    private Ports() {
    }

    /** A port free on 127.0.0.1 now, never one this JVM handed out before. */
    public static int free() {
        int ephemeralLow = ephemeralLow();
        if (ephemeralLow > LOWEST + 1000) {
            for (int attempt = 0; attempt < 1000; attempt++) {
                int port = ThreadLocalRandom.current().nextInt(LOWEST, ephemeralLow);
                if (!HANDED_OUT.contains(port) && bindable(port) && HANDED_OUT.add(port)) {
                    return port;
                }
            }
        }
        while (true) { // no range known (not Linux), or nothing free below it: what the kernel gives
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    /** The first port of the kernel's ephemeral range, or 0 when it cannot be read. */
    static int ephemeralLow() {
        try {
            // a line read, not Files.readString: a file of /proc has size 0, and readString then reads 1 byte of it
            String range = Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim();
            return Integer.parseInt(range.split("\\s+")[0]);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    private static boolean bindable(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), port), 1);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
