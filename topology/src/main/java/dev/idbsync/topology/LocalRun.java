package dev.idbsync.topology;

import dev.idbsync.ignite.EmbeddedIgniteNode;
import dev.idbsync.ignite.SyncCaches;
import dev.idbsync.auth.Authenticators;
import dev.idbsync.config.AuthConfig;
import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.IgniteConfig;
import dev.idbsync.config.RateLimitConfig;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.apache.storm.LocalCluster;
import org.apache.storm.generated.KillOptions;

/**
 * The local run: the whole product in one JVM on embedded defaults. An embedded Ignite node
 * (persistent, under {@code DATA/ignite}), a real Flume agent in-process (file channel under
 * {@code DATA/flume/channel}, events in {@code DATA/flume/out}), a Storm {@link LocalCluster}
 * running the topology, and the HTTP spout on 127.0.0.1; with {@code --kafka}, a real single-node Kafka
 * broker (KRaft) in-process too, its log under {@code DATA/kafka}, and the Kafka sink on. Prints {@code ready on http://127.0.0.1:PORT} once pushes are
 * accepted and stops cleanly on Ctrl-C or SIGTERM. Started by {@code ./run-local}.
 */
public final class LocalRun implements AutoCloseable {
    private final SyncConfig config;
    private final PrintStream out;
    private EmbeddedIgniteNode ignite;
    private EmbeddedFlumeAgent flume;
    private LoopbackStorm storm;
    private EmbeddedKafkaBroker kafka;
    /** Start a broker in-process on the port of kafka.bootstrapServers (--kafka). */
    private final boolean embeddedKafka;

    public LocalRun(SyncConfig config, PrintStream out) {
        this(config, out, false);
    }

    public LocalRun(SyncConfig config, PrintStream out, boolean embeddedKafka) {
        this.config = config;
        this.out = out;
        this.embeddedKafka = embeddedKafka;
    }

    public static void main(String[] args) throws Exception {
        Path configFile = Path.of("conf/local.yaml");
        Integer port = null;
        Integer ignitePort = null;
        String dataDir = null;
        String jwtSecretEnv = null;
        Integer rateLimit = null;
        boolean kafka = false;
        Integer kafkaPort = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            boolean hasValue = i + 1 < args.length;
            switch (a) {
                case "--port" -> port = hasValue ? parsePort("--port", args[++i]) : usage("--port needs a number");
                case "--ignite-port" -> ignitePort = hasValue ? parsePort("--ignite-port", args[++i])
                        : usage("--ignite-port needs a number");
                case "--data-dir" -> dataDir = hasValue ? args[++i] : usage("--data-dir needs a directory");
                case "--config" -> configFile = hasValue ? Path.of(args[++i]) : usage("--config needs a file");
                case "--jwt-secret-env" -> jwtSecretEnv = hasValue ? args[++i]
                        : usage("--jwt-secret-env needs the name of an environment variable");
                case "--kafka" -> kafka = true;
                case "--kafka-port" -> kafkaPort = hasValue ? parsePort("--kafka-port", args[++i])
                        : usage("--kafka-port needs a number");
                case "--rate-limit" -> rateLimit = hasValue ? parseRate(args[++i]) : usage("--rate-limit needs a number");
                case "-h", "--help" -> {
                    usage(null);
                }
                default -> usage("unknown argument: " + a);
            }
        }
        // The config is read before the first logger is made (the loader logs nothing), so that
        // the log can go under the data dir the config names.
        SyncConfig config;
        try {
            SyncConfig loaded = ConfigLoader.load(configFile);
            SyncConfig.Builder b = loaded.toBuilder();
            if (port != null) {
                b.http(loaded.http().toBuilder().port(port).build());
            }
            if (dataDir != null) {
                b.dataDir(dataDir);
            }
            IgniteConfig ic = loaded.ignite();
            if (ic.mode() != IgniteConfig.Mode.EMBEDDED) {
                throw new IllegalArgumentException("ignite.mode: " + ic.mode().name().toLowerCase()
                        + " is not allowed for the local run; use embedded");
            }
            b.ignite(localIgnitePorts(ic, ignitePort, System.out));
            b.flume(localFlumePort(loaded.flume(), System.out));
            if (jwtSecretEnv != null) {
                // The secret itself never comes from a flag or a file: a flag shows in ps, a file ends up in git.
                b.auth(AuthConfig.hs256(jwtSecretEnv));
            }
            if (rateLimit != null) {
                b.rateLimit(RateLimitConfig.of(rateLimit));
            }
            if (kafkaPort != null && !kafka) {
                throw new IllegalArgumentException("--kafka-port is for the in-process broker; add --kafka");
            }
            if (kafka) {
                b.kafka(localKafka(loaded.kafka(), kafkaPort, System.out));
            }
            config = b.build();
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("config " + configFile + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        try (AutoCloseable check = closeable(Authenticators.from(config.auth(), System::getenv))) {
            // made only to fail here, before anything starts, on a missing or short secret
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println(jwtSecretEnv != null ? e.getMessage().replaceFirst("^auth\\.hs256SecretEnv", "--jwt-secret-env")
                    : e.getMessage());
            System.exit(2);
            return;
        }
        // Storm, Ignite and our own INFO lines go to a file under the data dir; the console gets
        // this class's lines and one line per problem.
        Path logDir = Path.of(config.dataDir()).toAbsolutePath().normalize().resolve("logs");
        System.setProperty("idbsync.log.dir", logDir.toString());
        System.setProperty("log4j2.configurationFile", "classpath:idbsync-local-log4j2.xml");
        System.setProperty("IGNITE_NO_ASCII", "true");
        System.setProperty("IGNITE_UPDATE_NOTIFIER", "false");
        // Our shutdown hook stops Storm first and Ignite after it; Ignite's own hook would stop
        // the node while the topology may still be writing to it.
        System.setProperty("IGNITE_NO_SHUTDOWN_HOOK", "true");
        try {
            SyncTopology.build(config); // compiles the schemas
        } catch (IllegalArgumentException | IllegalStateException e) {
            System.err.println("config " + configFile + ": " + e.getMessage());
            System.exit(2);
            return;
        }
        if (!portFree(config.http().host(), config.http().port())) {
            System.err.println("port " + config.http().port() + " on " + config.http().host()
                    + " is in use (another local run?); choose another with --port N");
            System.exit(1);
        }
        Files.createDirectories(logDir);

        LocalRun run = new LocalRun(config, System.out, kafka);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("stopping...");
            run.close();
            System.out.println("stopped");
            stopped.countDown();
        }, "idbsync-shutdown"));
        try {
            run.start();
        } catch (Exception e) {
            System.err.println("start-up failed: " + e.getMessage() + " (details in " + logDir.resolve("idbsync.log") + ")");
            org.slf4j.LoggerFactory.getLogger(LocalRun.class).error("start-up failed", e);
            System.exit(1);
        }
        stopped.await();
    }

    /** Starts Ignite, then Storm with the topology, and waits until the spout answers health checks. */
    public void start() throws Exception {
        Path data = Path.of(config.dataDir()).toAbsolutePath().normalize();
        Files.createDirectories(data);
        out.println("idbsync local run: data in " + data + ", log in " + data.resolve("logs/idbsync.log"));
        ignite = EmbeddedIgniteNode.start(config.ignite(), data.resolve("ignite"),
                SyncCaches.specs(config));
        out.println("ignite: embedded node, persistence in " + data.resolve("ignite") + ", thin clients on "
                + config.ignite().addresses().get(0));
        if (config.flume().enabled() && config.flume().embeddedAgentConfig() != null) {
            flume = EmbeddedFlumeAgent.start(Path.of(config.flume().embeddedAgentConfig()), data, firstPort(config));
            out.println("flume: in-process agent, Avro source on " + config.flume().agents().get(0) + ", file channel in "
                    + data.resolve("flume/channel") + ", events in " + data.resolve("flume/out"));
        }
        if (embeddedKafka) {
            String a = config.kafka().bootstrapServers().get(0);
            kafka = EmbeddedKafkaBroker.start(data.resolve("kafka"), Integer.parseInt(a.substring(a.lastIndexOf(':') + 1)));
            out.println("kafka: in-process broker (KRaft, one node), bootstrap servers " + kafka.bootstrapServers()
                    + ", log in " + kafka.dir());
        }
        SyncTopology.ensureKafkaTopics(config, out);
        storm = LoopbackStorm.start(); // its ZooKeeper on 127.0.0.1 only, like every other listener here
        storm.cluster().submitTopology(config.topology().name(), SyncTopology.stormConfig(config), SyncTopology.build(config));
        for (StoreConfig s : config.allStores()) {
            out.println("store " + s.db() + "/" + s.store() + ": policy " + s.policy() + ", Ignite cache " + s.cache()
                    + (s.schemaSource() != null ? ", schema " + s.schemaSource() : ", no schema"));
        }
        String base = "http://" + config.http().host() + ":" + config.http().port();
        out.println(authLine(config, base));
        awaitHealthy(base + "/health", Duration.ofSeconds(120));
        out.println("ready on " + base);
    }

    private static AutoCloseable closeable(Object o) {
        return o instanceof AutoCloseable c ? c : () -> { };
    }

    /** The one console line about auth: on with what, or off and how to turn it on. */
    static String authLine(SyncConfig config, String base) {
        AuthConfig a = config.auth();
        if (!a.enabled()) {
            return "auth: off, anyone who reaches " + base + " may push and pull any db; turn it on with"
                    + " ./run-local --jwt-secret-env NAME (docs/auth.md)";
        }
        String keys = a.hs256SecretEnv() != null ? "an HS256 secret from $" + a.hs256SecretEnv()
                : a.jwksFile() != null ? "keys from " + a.jwksFile() : "keys from " + a.jwksUrl();
        return "auth: on, every API request needs Authorization: Bearer <JWT> signed with " + keys
                + " (grants in the " + a.grantsClaim() + " claim; docs/auth.md)";
    }

    @Override
    public void close() {
        if (storm != null) {
            try {
                KillOptions opts = new KillOptions();
                opts.set_wait_secs(0);
                storm.cluster().killTopologyWithOpts(config.topology().name(), opts);
            } catch (Exception e) {
                org.slf4j.LoggerFactory.getLogger(LocalRun.class).warn("killing the topology failed", e);
            }
            try {
                storm.close();
            } catch (Exception e) {
                org.slf4j.LoggerFactory.getLogger(LocalRun.class).warn("stopping the local Storm cluster failed", e);
            }
            storm = null;
        }
        if (flume != null) {
            flume.close();
            flume = null;
        }
        if (kafka != null) {
            kafka.close();
            kafka = null;
        }
        if (ignite != null) {
            ignite.close();
            ignite = null;
        }
    }

    private static void awaitHealthy(String url, Duration timeout) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
                        .build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
                last = r.statusCode() + " " + r.body();
            } catch (IOException e) {
                last = e.toString();
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("the topology did not become healthy within " + timeout.toSeconds()
                + " s; last answer from " + url + ": " + last);
    }

    /**
     * The Ignite ports of the local run: the configured ones when they are free, else free ones,
     * so that a local run and test runs can share a machine. A thin-client port the user asked
     * for with --ignite-port is never moved.
     */
    static IgniteConfig localIgnitePorts(IgniteConfig ic, Integer askedThinPort, PrintStream out) {
        int thin = askedThinPort != null ? askedThinPort : ic.thinClientPort();
        if (askedThinPort == null && !portFree("127.0.0.1", thin)) {
            int other = freePort();
            out.println("ignite: port " + thin + " is in use; thin clients get 127.0.0.1:" + other + " instead");
            thin = other;
        }
        int disco = portFree("127.0.0.1", ic.discoveryPort()) ? ic.discoveryPort() : freePort();
        int comm = portFree("127.0.0.1", ic.communicationPort()) ? ic.communicationPort() : freePort();
        return ic.toBuilder().addresses(List.of("127.0.0.1:" + thin)).discoveryPort(disco).communicationPort(comm).build();
    }

    /** The embedded agent's port: the configured one when it is free, else a free one. */
    static dev.idbsync.config.FlumeConfig localFlumePort(dev.idbsync.config.FlumeConfig fc, PrintStream out) {
        if (!fc.enabled() || fc.embeddedAgentConfig() == null) {
            return fc;
        }
        String a = fc.agents().get(0);
        int port = Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
        if (portFree("127.0.0.1", port)) {
            return fc.toBuilder().agents(List.of("127.0.0.1:" + port)).build();
        }
        int other = freePort();
        out.println("flume: port " + port + " is in use; the in-process agent listens on 127.0.0.1:" + other + " instead");
        return fc.toBuilder().agents(List.of("127.0.0.1:" + other)).build();
    }

    /**
     * --kafka: the Kafka sink on, sending to the in-process broker: on the port asked for with
     * --kafka-port, else 9092 when free, else a free port. The rest of the kafka section (topic,
     * partitions, ...) is the config file's.
     */
    static dev.idbsync.config.KafkaConfig localKafka(dev.idbsync.config.KafkaConfig kc, Integer askedPort, PrintStream out) {
        int port = askedPort != null ? askedPort : DEFAULT_KAFKA_PORT;
        if (askedPort == null && !portFree("127.0.0.1", port)) {
            int other = freePort();
            out.println("kafka: port " + port + " is in use; the in-process broker listens on 127.0.0.1:" + other + " instead");
            port = other;
        }
        return kc.toBuilder().enabled(true).bootstrapServers(List.of("127.0.0.1:" + port)).build();
    }

    /** Kafka's own default client port. */
    static final int DEFAULT_KAFKA_PORT = 9092;

    private static int firstPort(SyncConfig config) {
        String a = config.flume().agents().get(0);
        return Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
    }

    static boolean portFree(String host, int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getByName(host))) {
            s.setReuseAddress(true);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port on 127.0.0.1", e);
        }
    }

    private static int parsePort(String flag, String v) {
        try {
            int p = Integer.parseInt(v);
            if (p >= 1 && p <= 65535) {
                return p;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        return usage(flag + ": \"" + v + "\" is not a port; use a number from 1 to 65535");
    }

    private static int parseRate(String v) {
        try {
            int n = Integer.parseInt(v);
            if (n >= 1 && n <= 1_000_000) {
                return n;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        return usage("--rate-limit: \"" + v + "\" is not allowed; use requests per second from 1 to 1000000");
    }

    private static <T> T usage(String problem) {
        PrintStream s = problem == null ? System.out : System.err;
        if (problem != null) {
            s.println(problem);
        }
        s.println("usage: ./run-local [--port N] [--data-dir DIR] [--ignite-port N] [--config FILE]"
                + " [--jwt-secret-env NAME] [--rate-limit N] [--kafka [--kafka-port N]]");
        s.println("  --port N         HTTP port on 127.0.0.1 (default 8080)");
        s.println("  --data-dir DIR   where Ignite's and Flume's files, the change files and the logs go (default data/)");
        s.println("  --ignite-port N  the embedded Ignite node's thin-client port (default 10800)");
        s.println("  --config FILE    the YAML config (default conf/local.yaml)");
        s.println("  --jwt-secret-env NAME  turn auth on: bearer JWTs signed HS256 with the secret in the environment");
        s.println("                   variable NAME (at least 32 bytes; docs/auth.md). Without it the API is open");
        s.println("  --rate-limit N   at most N requests per second per user (per client address with auth off),");
        s.println("                   bursts of 2N; over it 429 rate_limited");
        s.println("  --kafka          start a Kafka broker in-process (KRaft, log under DATA/kafka) and send every");
        s.println("                   change to it too (docs/kafka.md); prints its bootstrap address");
        s.println("  --kafka-port N   the in-process broker's port (default 9092, or a free one when 9092 is busy)");
        System.exit(problem == null ? 0 : 2);
        return null;
    }
}
