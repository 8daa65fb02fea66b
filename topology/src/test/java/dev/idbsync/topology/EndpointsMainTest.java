package dev.idbsync.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.ignite.Endpoints.Endpoint;
import dev.idbsync.testkit.Ports;
import dev.idbsync.topology.EndpointsMain.Format;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The command's output formats on a fake list, and its exits without Ignite. */
class EndpointsMainTest {
    private static final List<Endpoint> LIVE = List.of(
            new Endpoint("w1.internal", 8080, "http", 0, 1, 2),
            new Endpoint("w2.internal", 8081, "http", 1, 1, 2));

    @Test
    void linesAreHostPortOneALine() {
        assertEquals("w1.internal:8080\nw2.internal:8081\n", EndpointsMain.render(Format.LINES, LIVE));
        assertEquals("", EndpointsMain.render(Format.LINES, List.of()));
    }

    @Test
    void haproxyIsABackendCheckingHealth() {
        assertEquals("""
                backend idbsync
                    balance roundrobin
                    option httpchk GET /health
                    http-check expect status 200
                    server task0 w1.internal:8080 check
                    server task1 w2.internal:8081 check
                """, EndpointsMain.render(Format.HAPROXY, LIVE));
        assertTrue(EndpointsMain.render(Format.HAPROXY, List.of(new Endpoint("w", 8443, "https", 0, 1, 2)))
                .contains("server task0 w:8443 check ssl verify required"));
    }

    @Test
    void nginxIsAnUpstream() {
        assertEquals("""
                upstream idbsync {
                    server w1.internal:8080 max_fails=2 fail_timeout=10s;
                    server w2.internal:8081 max_fails=2 fail_timeout=10s;
                }
                """, EndpointsMain.render(Format.NGINX, LIVE));
    }

    @Test
    void anUnreachableIgniteExits2NamingTheAddress() {
        String addr = "127.0.0.1:" + Ports.free();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = EndpointsMain.run(new String[] {"--config", "../conf/local.yaml", "--ignite", addr},
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("cannot read the endpoints from Ignite at " + addr),
                err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void aBadFormatExits2WithTheChoices() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = EndpointsMain.run(new String[] {"--format", "json"}, new PrintStream(new ByteArrayOutputStream()),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertTrue(err.toString(StandardCharsets.UTF_8).startsWith("--format: \"json\" is not one of lines, haproxy, nginx"));
    }
}
