package dev.idbsync.topology.it;

import dev.idbsync.ignite.EmbeddedIgniteNode;
import dev.idbsync.ignite.SyncCaches;
import dev.idbsync.ignite.IgniteClientFactory;
import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.IgniteConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.testkit.Ports;
import dev.idbsync.topology.EmbeddedFlumeAgent;
import dev.idbsync.topology.LoopbackStorm;
import dev.idbsync.topology.SyncTopology;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.apache.ignite.Ignition;
import org.apache.ignite.client.IgniteClient;
import org.apache.ignite.configuration.ClientConfiguration;
import org.apache.storm.Config;

/**
 * The real parts in one test JVM: an embedded Ignite node (persistent, in a temp dir, on free
 * ports), a Storm LocalCluster running the topology built from conf/local.yaml, and the HTTP
 * spout on a free port. Every tuple is serialized as it would be between worker processes.
 */
public final class TestStack implements AutoCloseable {
    public final SyncConfig config;
    public final Http http;
    private final EmbeddedIgniteNode ignite;
    private final EmbeddedFlumeAgent flume;
    private final LoopbackStorm storm;
    private final IgniteClient reader;
    private boolean stormStopped;

    private TestStack(SyncConfig config, EmbeddedIgniteNode ignite, EmbeddedFlumeAgent flume, LoopbackStorm storm,
                      IgniteClient reader) {
        this.config = config;
        this.ignite = ignite;
        this.flume = flume;
        this.storm = storm;
        this.reader = reader;
        this.http = new Http("http://127.0.0.1:" + config.http().port());
    }

    /** The repo's conf/local.yaml with free ports and a temp data dir, changed by {@code tweak}. */
    public static SyncConfig localConfig(Path dataDir, UnaryOperator<SyncConfig.Builder> tweak) {
        SyncConfig base = ConfigLoader.load(repoRoot().resolve("conf/local.yaml"));
        IgniteConfig ic = base.ignite().toBuilder()
                .addresses(List.of("127.0.0.1:" + Ports.free()))
                .discoveryPort(Ports.free())
                .communicationPort(Ports.free())
                .build();
        return tweak.apply(base.toBuilder()
                .dataDir(dataDir.toString())
                .ignite(ic)
                .flume(base.flume().toBuilder().agents(List.of("127.0.0.1:" + Ports.free())).build())
                .http(base.http().toBuilder().port(Ports.free()).build())).build();
    }

    public static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !p.resolve("conf/local.yaml").toFile().exists()) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("cannot find the repo root (conf/local.yaml) above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    public static TestStack start(SyncConfig config, Function<IgniteConfig, IgniteClientFactory> factory) throws Exception {
        EmbeddedIgniteNode node = EmbeddedIgniteNode.start(config.ignite(), Path.of(config.dataDir()).resolve("ignite"),
                SyncCaches.specs(config));
        EmbeddedFlumeAgent agent = null;
        if (config.flume().enabled() && config.flume().embeddedAgentConfig() != null) {
            String a = config.flume().agents().get(0);
            agent = EmbeddedFlumeAgent.start(Path.of(config.flume().embeddedAgentConfig()), Path.of(config.dataDir()),
                    Integer.parseInt(a.substring(a.lastIndexOf(':') + 1)));
        }
        SyncTopology.ensureKafkaTopics(config, System.out);
        LoopbackStorm storm = LoopbackStorm.start();
        Config conf = SyncTopology.stormConfig(config);
        // Serialize every tuple as if the spout and the bolts ran in different workers.
        conf.put(Config.TOPOLOGY_TESTING_ALWAYS_TRY_SERIALIZE, true);
        storm.cluster().submitTopology(config.topology().name(), conf, SyncTopology.build(config, factory.apply(config.ignite())));
        IgniteClient reader = Ignition.startClient(new ClientConfiguration()
                .setAddresses(config.ignite().addresses().get(0)));
        TestStack stack = new TestStack(config, node, agent, storm, reader);
        stack.awaitHealthy();
        return stack;
    }

    private void awaitHealthy() throws Exception {
        HttpClient c = HttpClient.newHttpClient();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                HttpResponse<String> r = c.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + config.http().port() + "/health")).build(),
                        HttpResponse.BodyHandlers.ofString());
                // Ready once the topology is active and the sink checks have run: 200, or 503 for a
                // sink a test took down on purpose (FilesIT, FlumeIT start so).
                if (r.statusCode() == 200 || r.statusCode() == 503 && r.body().contains("\"ignite\":\"ok\"")
                        && !r.body().contains("not active") && !r.body().contains("not run yet")) {
                    return;
                }
            } catch (java.io.IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("the topology did not become healthy in 90 s");
    }

    /** A plain thin client, as any Ignite user would have; it knows nothing of idbsync's classes. */
    public IgniteClient reader() {
        return reader;
    }

    /** The record JSON stored under a canonical key, or null. */
    public String record(String cache, String canonicalKey) {
        if (!reader.cacheNames().contains(cache)) {
            return null;
        }
        return reader.<String, String>cache(cache).get(canonicalKey);
    }

    /** Stops the Ignite node, as an outage would (a fault test); close() stops the rest. */
    public void stopIgnite() {
        ignite.close();
    }

    /** Stops Storm cleanly (every spout closed, every bolt cleaned up) and leaves Ignite up; close() stops the rest. */
    public void stopStorm() throws Exception {
        if (!stormStopped) {
            stormStopped = true;
            storm.close();
        }
    }

    @Override
    public void close() throws Exception {
        reader.close();
        stopStorm();
        if (flume != null) {
            flume.close();
        }
        ignite.close();
    }
}
