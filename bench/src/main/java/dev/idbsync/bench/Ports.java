package dev.idbsync.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Ports for the targets and their Ignite and Flume listeners. */
final class Ports {
    private Ports() {
    }

    /** A port free on 127.0.0.1 right now (the OS picks it). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }
}
