package dev.idbsync.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Free loopback ports for tests, so that test runs, a second test run and a local run can share a
 * machine. (The local run picks its own free ports in {@code LocalRun}: main code does not use
 * this module.)
 */
public final class Ports {
    /**
     * Ports handed out in this JVM. The kernel may offer a port again once its probe socket is
     * closed, before the test that got it binds it; one test that needs several ports (an Ignite
     * node, a Flume agent, the listener) must not get one twice.
     */
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private Ports() {
    }

    /** A port free on 127.0.0.1 now, never one this JVM handed out before. */
    public static int free() {
        while (true) {
            try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
                if (HANDED_OUT.add(s.getLocalPort())) {
                    return s.getLocalPort();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
