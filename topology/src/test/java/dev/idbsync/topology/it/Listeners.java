package dev.idbsync.topology.it;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The TCP addresses a process listens on, read from Linux's /proc as {@code ss -ltnp} reads them:
 * the socket inodes among the process's open files, matched with the LISTEN rows of
 * /proc/net/tcp and tcp6.
 */
final class Listeners {
    private static final String LISTEN = "0A";

    private Listeners() {
    }

    /** Each listening address of process {@code pid} as {@code ip:port}, IPv6 in /proc's hex form. */
    static List<String> of(long pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc", Long.toString(pid), "fd"))) {
            for (Path fd : fds) {
                try {
                    String target = Files.readSymbolicLink(fd).toString();
                    if (target.startsWith("socket:[")) {
                        inodes.add(target.substring(8, target.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        List<String> out = new ArrayList<>();
        for (String table : List.of("tcp", "tcp6")) {
            List<String> rows = Files.readAllLines(Path.of("/proc", Long.toString(pid), "net", table));
            for (String row : rows.subList(1, rows.size())) {
                String[] f = row.trim().split("\\s+");
                // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
                if (f[3].equals(LISTEN) && inodes.contains(f[9])) {
                    out.add(address(f[1]));
                }
            }
        }
        return out;
    }

    /** 127.0.0.0/8, ::1, or 127.x mapped into IPv6. */
    static boolean isLoopback(String address) {
        String ip = address.substring(0, address.lastIndexOf(':'));
        return ip.startsWith("127.") || ip.equals("::1") || ip.startsWith("::ffff:127.");
    }

    /** /proc's {@code 0100007F:1F90} (little-endian words) as {@code 127.0.0.1:8080}. */
    private static String address(String hex) {
        String[] parts = hex.split(":");
        int port = Integer.parseInt(parts[1], 16);
        String h = parts[0];
        if (h.length() == 8) {
            return ipv4(h) + ":" + port;
        }
        // four 32-bit words, each little-endian
        String prefix = h.substring(0, 24);
        String last = h.substring(24);
        if (prefix.equals("0000000000000000FFFF0000")) {
            return "::ffff:" + ipv4(last) + ":" + port;
        }
        if (prefix.equals("000000000000000000000000") && last.equals("01000000")) {
            return "::1:" + port;
        }
        return "[" + h + "]:" + port;
    }

    private static String ipv4(String le) {
        StringBuilder sb = new StringBuilder();
        for (int i = 3; i >= 0; i--) {
            sb.append(Integer.parseInt(le.substring(i * 2, i * 2 + 2), 16));
            if (i > 0) {
                sb.append('.');
            }
        }
        return sb.toString();
    }
}
