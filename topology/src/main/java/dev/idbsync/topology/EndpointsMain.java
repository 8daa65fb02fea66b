package dev.idbsync.topology;

import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.IgniteConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.ignite.Endpoints;
import dev.idbsync.ignite.Endpoints.Endpoint;
import dev.idbsync.ignite.SyncCaches;
import dev.idbsync.ignite.ThinClientFactory;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.ignite.client.IgniteClient;

/**
 * Prints the live spout endpoints ({@link Endpoints}) of the config's topology, to generate a load
 * balancer's config: {@code java @conf/jvm/ignite.args -cp idbsync-topology-<version>-cluster.jar dev.idbsync.topology.EndpointsMain
 * --config conf/cluster.yaml [--format lines|haproxy|nginx] [--ignite host:port,...]}. Needs only
 * Ignite's thin client (no Storm). Exit 0 (an empty list too, with a note on stderr), 2 for a bad
 * argument or config or when Ignite cannot be reached. See docs/operations.md.
 */
public final class EndpointsMain {
    static final String USAGE = "usage: EndpointsMain --config conf/cluster.yaml [--format lines|haproxy|nginx]"
            + " [--ignite host:port[,host:port...]]";

    /** What the list is printed as. */
    enum Format {
        /** {@code host:port}, one a line. */
        LINES,
        /** An HAProxy {@code backend idbsync} with a {@code GET /health} check. */
        HAPROXY,
        /** An nginx {@code upstream idbsync} block. */
        NGINX
    }

    private EndpointsMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    static int run(String[] args, PrintStream out, PrintStream err) {
        String file = "conf/cluster.yaml";
        Format format = Format.LINES;
        List<String> ignite = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (i + 1 >= args.length || !List.of("--config", "--format", "--ignite").contains(a)) {
                err.println("unknown or incomplete argument: " + a + "\n" + USAGE);
                return 2;
            }
            String v = args[++i];
            switch (a) {
                case "--config" -> file = v;
                case "--ignite" -> ignite = Arrays.asList(v.split(","));
                default -> {
                    try {
                        format = Format.valueOf(v.toUpperCase(Locale.ROOT));
                    } catch (IllegalArgumentException e) {
                        err.println("--format: \"" + v + "\" is not one of lines, haproxy, nginx\n" + USAGE);
                        return 2;
                    }
                }
            }
        }
        SyncConfig config;
        IgniteConfig ic;
        try {
            config = ConfigLoader.load(Path.of(file));
            ic = ignite == null ? config.ignite()
                    // The override only points the thin client elsewhere: as a remote client, whatever the mode.
                    : config.ignite().toBuilder().mode(IgniteConfig.Mode.REMOTE).addresses(ignite).build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println("config " + file + ": " + e.getMessage());
            return 2;
        }
        List<Endpoint> live;
        try (IgniteClient client = new ThinClientFactory(ic).create()) {
            live = new Endpoints(new SyncCaches(client, ic).endpoints())
                    .live(config.topology().name(), System.currentTimeMillis());
        } catch (ExceptionInInitializerError | NoClassDefFoundError e) {
            // Ignite's classes need the --add-opens flags on Java 17; without them they fail to load.
            err.println("cannot start Ignite's thin client (" + e + "); run java with Ignite's JVM flags:"
                    + " java @conf/jvm/ignite.args -cp ... dev.idbsync.topology.EndpointsMain ...");
            return 2;
        } catch (Exception e) {
            err.println("cannot read the endpoints from Ignite at " + String.join(",", ic.addresses()) + ": " + e
                    + "\nis the cluster's Ignite up, and are ignite.addresses (or --ignite) its thin-client ports?");
            return 2;
        }
        if (live.isEmpty()) {
            err.println("no live endpoints for topology " + config.topology().name() + " (is it running? an entry"
                    + " is live while its heartbeat is at most " + Endpoints.LIVE_MS / 1000 + " s old)");
        }
        out.print(render(format, live));
        return 0;
    }

    /** The list in {@code format}; an HAProxy or nginx block with no server is still printed, for a template. */
    static String render(Format format, List<Endpoint> live) {
        StringBuilder s = new StringBuilder();
        switch (format) {
            case LINES -> live.forEach(e -> s.append(e.hostPort()).append('\n'));
            case HAPROXY -> {
                s.append("backend idbsync\n    balance roundrobin\n    option httpchk GET /health\n"
                        + "    http-check expect status 200\n");
                for (Endpoint e : live) {
                    s.append("    server task").append(e.taskIndex()).append(' ').append(e.hostPort()).append(" check");
                    s.append(e.scheme().equals("https") ? " ssl verify required ca-file /etc/haproxy/idbsync-ca.pem\n" : "\n");
                }
            }
            case NGINX -> {
                s.append("upstream idbsync {\n");
                live.forEach(e -> s.append("    server ").append(e.hostPort()).append(" max_fails=2 fail_timeout=10s;\n"));
                s.append("}\n");
            }
        }
        return s.toString();
    }
}
