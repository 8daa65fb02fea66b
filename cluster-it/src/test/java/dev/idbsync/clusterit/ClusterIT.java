package dev.idbsync.clusterit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.idbsync.testkit.Ports;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.ignite.Ignition;
import org.apache.ignite.client.ClientCache;
import org.apache.ignite.client.IgniteClient;
import org.apache.ignite.configuration.ClientConfiguration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The cluster jar on a real Storm cluster, every part a process of its own, started the way
 * docs/operations.md ("The cluster test") says a person would: ZooKeeper, Nimbus and a
 * Supervisor with two slots from a Storm home assembled from Maven artifacts, a standalone
 * Ignite node, a Flume agent from conf/flume/production-agent.properties, then {@code storm jar}
 * with conf/cluster.yaml (pointed at those). Clients push through both spout ports; a worker is
 * killed with SIGKILL mid-stream. Every change a client was answered for must be in Ignite once
 * (its record's version counts it once), in the Flume agent's output and in the committed files
 * (at least once, every repeat the same); and clients must be answered again within
 * {@link #RECOVERY_BOUND} of the kill.
 */
@Tag("integration")
class ClusterIT {
    /** Issue 14's goal: acknowledged pushes resume within 10 s of a worker loss. */
    static final Duration RECOVERY_BOUND = Duration.ofSeconds(10);
    private static final int CLIENTS = 6;
    private static final String SECRET_ENV = "IDBSYNC_CLUSTER_IT_JWT_SECRET";
    /** A test secret only, used by no deployment. */
    private static final String SECRET = "cluster-it-test-secret-0123456789abcdef0123";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory().disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER));
    private static final Pattern FLUME_LINE = Pattern.compile("eventId=([^,}]+).*?version=(\\d+)");

    private final Path repo = Path.of(System.getProperty("cluster.repo")).toAbsolutePath().normalize();
    private final Path jar = Path.of(System.getProperty("cluster.jar")).toAbsolutePath().normalize();
    private final String javaCmd = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void survivesAKilledWorkerWithNothingLostOrDoubledAndRecoversQuickly() throws Exception {
        long started = System.nanoTime();
        Path work = Files.createDirectories(Path.of(System.getProperty("cluster.workDir")))
                .resolve("run-" + System.currentTimeMillis()).toAbsolutePath();
        Files.createDirectories(work);
        boolean passed = false;
        try (Processes procs = new Processes(work.toString())) {
            Cluster c = startCluster(procs, work);
            System.out.printf("[cluster-it] cluster up in %d s%n", (System.nanoTime() - started) / 1_000_000_000);

            Path topoConf = writeTopologyConfig(c, work);
            int submitted = procs.run("storm jar", stormJarCommand(c.home, topoConf), work.resolve("submit.log"),
                    Map.of(SECRET_ENV, SECRET), Duration.ofMinutes(2));
            assertEquals(0, submitted, "storm jar failed: " + Files.readString(work.resolve("submit.log")));
            waitHealthy(c.spoutPorts, Duration.ofMinutes(3));
            System.out.printf("[cluster-it] topology serving on %d and %d, %d s after start%n", c.spoutPorts[0],
                    c.spoutPorts[1], (System.nanoTime() - started) / 1_000_000_000);

            List<SyncClient> clients = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            String token = token("cluster-it-user");
            for (int i = 0; i < CLIENTS; i++) {
                SyncClient sc = new SyncClient("c" + i + "-" + Long.toHexString(System.nanoTime()), c.spoutPorts, i % 2, token);
                clients.add(sc);
                Thread t = new Thread(sc, "client-" + i);
                t.setDaemon(true);
                threads.add(t);
                t.start();
            }
            Thread.sleep(8_000);
            for (SyncClient sc : clients) {
                assertTrue(sc.acked() > 0, sc.id + " got no answer before the kill: " + sc.answersByKind + " " + sc.error);
            }

            // The worker whose spout task listens on the second port: its clients lose their
            // connection, the other port's pushes lose the tuples that were in that worker.
            ProcessHandle victim = workerListeningOn(procs, c.spoutPorts[1]);
            long killedAt = System.currentTimeMillis();
            assertTrue(victim.destroyForcibly(), "SIGKILL of worker " + victim.pid());
            System.out.printf("[cluster-it] killed worker pid %d (spout port %d) with SIGKILL%n", victim.pid(), c.spoutPorts[1]);

            long recoveredAt = -1;
            long giveUp = killedAt + 120_000;
            long workerBackAt = -1;
            String survivorHealth = null; // the surviving spout's /health while the worker is down
            while (System.currentTimeMillis() < giveUp) {
                if (workerBackAt < 0 && healthy(c.spoutPorts[1])) {
                    workerBackAt = System.currentTimeMillis();
                }
                if (survivorHealth == null && workerBackAt < 0) {
                    String h = health(c.spoutPorts[0]);
                    if (h.startsWith("503") && h.contains("\"workers\":\"worker")) {
                        survivorHealth = h;
                    }
                }
                long latest = 0;
                for (SyncClient sc : clients) {
                    long t = sc.firstAnsweredSentAfter(killedAt);
                    latest = t < 0 ? -1 : Math.max(latest, t);
                    if (latest < 0) {
                        break;
                    }
                }
                if (latest > 0 && workerBackAt > 0) {
                    recoveredAt = latest;
                    break;
                }
                Thread.sleep(100);
            }
            Thread.sleep(5_000); // more pushes on the restarted worker
            for (SyncClient sc : clients) {
                sc.stop(Duration.ofSeconds(120));
            }
            for (Thread t : threads) {
                t.join(130_000);
            }
            double recoverySeconds = recoveredAt < 0 ? Double.NaN : (recoveredAt - killedAt) / 1000.0;
            long firstAfter = clients.stream().mapToLong(sc -> sc.firstAnsweredSentAfter(killedAt)).filter(t -> t > 0).min().orElse(-1);
            System.out.printf("[cluster-it] RECOVERY after SIGKILL of a worker: every client answered again %.1f s after the kill"
                    + " (the first push sent after the kill was answered after %.1f s; the killed worker's spout port answered"
                    + " /health again after %.1f s)%n", recoverySeconds, firstAfter < 0 ? Double.NaN : (firstAfter - killedAt) / 1000.0,
                    workerBackAt < 0 ? Double.NaN : (workerBackAt - killedAt) / 1000.0);
            System.out.println("[cluster-it] the surviving spout's /health while the worker was down: " + survivorHealth);
            // Each client's requests from 1 s before the kill until it was answered again, in
            // seconds from the kill: what a slow recovery waited for.
            for (SyncClient sc : clients) {
                System.out.printf("[cluster-it]   %s (first port %d): %s%n", sc.id, c.spoutPorts[clients.indexOf(sc) % 2],
                        sc.timeline(killedAt - 1000, sc.firstAnsweredSentAfter(killedAt), killedAt));
            }
            assertTrue(survivorHealth != null, "the surviving spout's /health never named the lost worker");
            long total = 0;
            for (SyncClient sc : clients) {
                System.out.printf("[cluster-it]   %s: %d changes answered, %s%n", sc.id, sc.acked(), new TreeMap<>(sc.answersByKind));
                total += sc.acked();
                assertNull(sc.error, sc.id);
            }

            // Stop the topology cleanly, as `storm kill` does: the file sink commits its files.
            int killed = procs.run("storm kill", stormKillCommand(c.home, topoConf, "idbsync-cluster-it"), work.resolve("kill.log"),
                    Map.of(), Duration.ofMinutes(1));
            assertEquals(0, killed, "storm kill failed");
            waitFor(() -> procs.find(cmd -> cmd.contains("org.apache.storm.daemon.worker.Worker")).isEmpty(), Duration.ofSeconds(60),
                    "the workers to stop after storm kill");
            c.flume.destroy(); // SIGTERM: the agent's shutdown hook closes its sink's file
            c.flume.waitFor();

            checkIgnite(c, clients);
            checkEvents("Flume", flumeEvents(c.flumeDir.resolve("out")), clients);
            checkEvents("files", fileEvents(c.filesDir.resolve("changes")), clients);
            System.out.printf("[cluster-it] %d changes answered, every one in Ignite once, in Flume and in the files; test took %d s%n",
                    total, (System.nanoTime() - started) / 1_000_000_000);

            assertTrue(recoveredAt > 0, "clients were not all answered again within 120 s of the kill");
            assertTrue(workerBackAt > 0, "the killed worker's spout port never answered /health 200 again");
            // A client is answered again once its push's deadline has passed (then it resends
            // after Retry-After) and the new worker is up; a resend that comes before that is
            // lost too and waits for the next deadline. When the host started the new worker
            // within one deadline, as the 10 s goal assumes (docs/operations.md, "After a worker
            // is lost"), the goal must be met; when the worker itself took longer, what idbsync
            // controls must hold: clients answered within one deadline + Retry-After of its start.
            long deadline = ((ObjectNode) YAML.readTree(topoConf.toFile()).get("http")).get("requestTimeoutMs").asLong();
            long retryAfter = 1000L * YAML.readTree(topoConf.toFile()).get("http").get("retryAfterSeconds").asLong();
            long workerStart = workerBackAt - killedAt;
            if (workerStart <= deadline) {
                assertTrue(recoveredAt - killedAt < RECOVERY_BOUND.toMillis(), "recovery took " + recoverySeconds + " s, over "
                        + RECOVERY_BOUND.toSeconds() + " s, though the new worker was up after " + workerStart + " ms");
            } else {
                long bound = workerStart + deadline + retryAfter + 2000;
                boolean met = recoveredAt - killedAt < RECOVERY_BOUND.toMillis();
                System.out.printf("[cluster-it] NOTE: the new worker took %.1f s to start, longer than the %d ms push deadline,"
                        + " so the %d s goal is not guaranteed on this host (this run %s it: %s s); checking recovery <= worker"
                        + " start + deadline + Retry-After + 2 s = %.1f s%n", workerStart / 1000.0, deadline,
                        RECOVERY_BOUND.toSeconds(), met ? "met" : "missed", recoverySeconds, bound / 1000.0);
                assertTrue(recoveredAt - killedAt <= bound, "recovery took " + recoverySeconds + " s, over " + bound / 1000.0
                        + " s (the new worker was up after " + workerStart + " ms)");
            }
            passed = true;
        } finally {
            // A run leaves hundreds of MB (Ignite's files, Storm's copies of the jar): a run that
            // passed keeps only its logs (a few MB), to compare a slow recovery with a fast one.
            if (passed) {
                Path kept = work.resolveSibling(work.getFileName() + "-logs");
                keepLogs(work, kept);
                deleteTree(work);
                System.out.println("[cluster-it] the logs of this run are under " + kept);
            } else {
                System.out.println("[cluster-it] the logs of this run are under " + work);
            }
        }
    }

    /** Copies every log of a run (the daemons', the workers', the agents') to {@code to}, keeping their paths. */
    private static void keepLogs(Path work, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(work)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String name = p.getFileName().toString();
                if (name.endsWith(".log") || name.endsWith(".out") || name.endsWith(".err") || name.matches(".*\\.log\\.\\d+")) {
                    Path dest = to.resolve(work.relativize(p));
                    Files.createDirectories(dest.getParent());
                    Files.copy(p, dest);
                }
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    // ---- the cluster ------------------------------------------------------------------------

    private record Cluster(Path home, int zkPort, int nimbusPort, int[] spoutPorts, int ignitePort, int flumePort,
                           Path flumeDir, Path filesDir, Process flume) {
    }

    private Cluster startCluster(Processes procs, Path work) throws Exception {
        Path home = stormHome(work);
        int zk = Ports.free();
        int nimbus = Ports.free();
        int[] slots = {Ports.free(), Ports.free()};
        int[] spout = freePair();
        int ignite = Ports.free();
        int flume = Ports.free();
        Files.writeString(home.resolve("conf/storm.yaml"), String.join("\n",
                "storm.zookeeper.servers: [\"127.0.0.1\"]",
                "storm.zookeeper.port: " + zk,
                "nimbus.seeds: [\"127.0.0.1\"]",
                "nimbus.thrift.port: " + nimbus,
                "storm.local.hostname: \"127.0.0.1\"",
                "storm.local.dir: \"" + home.resolve("storm-local") + "\"",
                "storm.log.dir: \"" + home.resolve("logs") + "\"",
                "supervisor.slots.ports: [" + slots[0] + ", " + slots[1] + "]",
                // How often the Supervisor looks at its workers: a dead one is restarted up to this
                // long after it died (3 s by default). docs/operations.md recommends 1 for the 10 s
                // recovery; the test sets what the docs say.
                "supervisor.monitor.frequency.secs: 1",
                // the daemons' own heaps; the workers' come from the topology's childopts
                "nimbus.childopts: \"-Xmx256m\"",
                "supervisor.childopts: \"-Xmx256m\"",
                ""));

        Path zkData = Files.createDirectories(work.resolve("zookeeper"));
        Process zkProc = procs.start("zookeeper", List.of(javaCmd, "-Xmx128m",
                        // ZooKeeper's admin server needs Jetty, which storm-shaded-deps leaves out
                        "-Dzookeeper.admin.enableServer=false", "-cp", home.resolve("lib") + "/*",
                        "org.apache.storm.shade.org.apache.zookeeper.server.ZooKeeperServerMain", String.valueOf(zk), zkData.toString()),
                work.resolve("zookeeper.log"), Map.of());

        Path igniteDir = Files.createDirectories(work.resolve("ignite"));
        List<String> igniteCmd = new ArrayList<>(List.of(javaCmd, "-Xmx512m", "@" + repo.resolve("conf/jvm/ignite.args"),
                "-DIGNITE_QUIET=true", "-DIGNITE_UPDATE_NOTIFIER=false",
                "-cp", System.getProperty("cluster.ignite.jar") + ":" + System.getProperty("cluster.ignite.lib") + "/*",
                "dev.idbsync.clusterit.ignite.IgniteNodeMain", String.valueOf(ignite), String.valueOf(Ports.free()),
                String.valueOf(Ports.free()), igniteDir.toString()));
        Process igniteProc = procs.start("ignite node", igniteCmd, work.resolve("ignite.log"), Map.of());

        Path flumeDir = Files.createDirectories(work.resolve("flume"));
        Files.createDirectories(flumeDir.resolve("out"));
        String props = Files.readString(repo.resolve("conf/flume/production-agent.properties"))
                .replace("agent.sources.avro.bind = 0.0.0.0", "agent.sources.avro.bind = 127.0.0.1")
                .replace("agent.sources.avro.port = 41414", "agent.sources.avro.port = " + flume)
                .replace("/var/lib/flume/idbsync", flumeDir.toString());
        Path agentProps = flumeDir.resolve("agent.properties");
        Files.writeString(agentProps, props);
        Path flumeConf = Files.createDirectories(flumeDir.resolve("conf"));
        copyResource("flume-log4j2.xml", flumeConf.resolve("log4j2.xml"));
        // what `flume-ng agent --name agent --conf-file F --conf DIR` runs: Application with the conf
        // dir and lib/* on the classpath
        Process flumeProc = procs.start("flume agent", List.of(javaCmd, "-Xmx256m", "-Dflume.log.dir=" + flumeDir,
                        "-Dlog4j.configurationFile=" + flumeConf.resolve("log4j2.xml"),
                        "-cp", flumeConf + ":" + System.getProperty("cluster.flume.lib") + "/*",
                        "org.apache.flume.node.Application", "--name", "agent", "--conf-file", agentProps.toString()),
                work.resolve("flume.log"), Map.of());

        Processes.waitForPort(zk, Duration.ofSeconds(60), zkProc, "ZooKeeper");
        Process nimbusProc = procs.start("nimbus", daemonCommand(home, "nimbus", "org.apache.storm.daemon.nimbus.Nimbus"),
                work.resolve("nimbus.out"), Map.of());
        // The workers inherit the Supervisor's environment: the HS256 secret of auth.hs256SecretEnv.
        procs.start("supervisor", daemonCommand(home, "supervisor", "org.apache.storm.daemon.supervisor.Supervisor"),
                work.resolve("supervisor.out"), Map.of(SECRET_ENV, SECRET));
        Processes.waitForPort(ignite, Duration.ofSeconds(120), igniteProc, "the Ignite node");
        Processes.waitForPort(flume, Duration.ofSeconds(60), flumeProc, "the Flume agent");
        Processes.waitForPort(nimbus, Duration.ofSeconds(120), nimbusProc, "Nimbus");
        Path files = Files.createDirectories(work.resolve("files"));
        return new Cluster(home, zk, nimbus, spout, ignite, flume, flumeDir, files, flumeProc);
    }

    /** A Storm home: lib/ (storm-server and its dependencies), lib-worker/ (storm-client and its), log4j2/, conf/. */
    private Path stormHome(Path work) throws IOException {
        Path home = Files.createDirectories(work.resolve("storm"));
        Files.createSymbolicLink(home.resolve("lib"), Path.of(System.getProperty("cluster.storm.lib")).toAbsolutePath());
        Files.createSymbolicLink(home.resolve("lib-worker"), Path.of(System.getProperty("cluster.storm.libWorker")).toAbsolutePath());
        Files.createDirectories(home.resolve("extlib"));
        Files.createDirectories(home.resolve("extlib-daemon"));
        Files.createDirectories(home.resolve("conf"));
        Files.createDirectories(home.resolve("logs"));
        Files.createDirectories(home.resolve("log4j2"));
        copyResource("storm-home/log4j2/worker.xml", home.resolve("log4j2/worker.xml"));
        copyResource("storm-home/log4j2/cluster.xml", home.resolve("log4j2/cluster.xml"));
        return home;
    }

    /**
     * The java command Storm's launcher builds (bin/storm.py, {@code exec_storm_class}):
     * {@code -Dstorm.home}, {@code -Dstorm.log.dir}, {@code -Djava.library.path} (Storm's default),
     * {@code -Dstorm.conf.file}, then {@code get_classpath}: the home's own jars, {@code lib/} for a
     * daemon and for the commands run with the daemon classpath ({@code storm kill}),
     * {@code lib-worker/} for a client command ({@code storm jar}), {@code extlib/},
     * {@code extlib-daemon/} for a daemon, then the extra entries (the topology jar for
     * {@code storm jar}), and the home's {@code conf/} (storm.py adds it for a daemon; for a client
     * command it adds the user's {@code ~/.storm} there, which this test has none of).
     */
    private List<String> stormCommand(Path home, Path confFile, List<String> jvmOpts, boolean serverLibs, boolean daemon,
                                      List<String> extraClasspath, String klass, List<String> args) {
        List<String> cp = new ArrayList<>(List.of(home + "/*", home.resolve(serverLibs ? "lib" : "lib-worker") + "/*",
                home.resolve("extlib") + "/*"));
        if (daemon) {
            cp.add(home.resolve("extlib-daemon") + "/*");
        }
        cp.addAll(extraClasspath);
        cp.add(home.resolve("conf").toString());
        List<String> cmd = new ArrayList<>(List.of(javaCmd));
        cmd.addAll(jvmOpts);
        cmd.addAll(List.of("-Dstorm.options=", "-Dstorm.home=" + home, "-Dstorm.log.dir=" + home.resolve("logs"),
                "-Djava.library.path=/usr/local/lib:/opt/local/lib:/usr/lib:/usr/lib64",
                "-Dstorm.conf.file=" + (confFile == null ? home.resolve("conf/storm.yaml") : confFile),
                "-cp", String.join(":", cp)));
        cmd.add(klass);
        cmd.addAll(args);
        return cmd;
    }

    /** A daemon: bin/storm nimbus, bin/storm supervisor. */
    private List<String> daemonCommand(Path home, String name, String klass) {
        return stormCommand(home, null, List.of("-server", "-Xmx256m", "-Ddaemon.name=" + name, "-Dlogfile.name=" + name + ".log",
                "-Dlog4j.configurationFile=" + home.resolve("log4j2/cluster.xml")), true, true, List.of(), klass, List.of());
    }

    /**
     * {@code storm jar <jar> dev.idbsync.topology.ClusterMain --config <yaml>} (storm.py's
     * {@code run_client_jar}: the client classpath, the jar on it, {@code -Dstorm.jar}; its
     * {@code --config} becomes {@code -Dstorm.conf.file}). docs/operations.md shows it as a shell command.
     */
    private List<String> stormJarCommand(Path home, Path topoConf) {
        return stormCommand(home, topoConf, List.of("-client", "-Ddaemon.name=", "-Dstorm.jar=" + jar, "-Dstorm.dependency.jars=",
                "-Dstorm.dependency.artifacts={}"), false, false, List.of(jar.toString()), "dev.idbsync.topology.ClusterMain", List.of());
    }

    /** {@code storm kill <name> -w 1} (storm.py's kill: exec_storm_class with its defaults, so the daemon classpath). */
    private List<String> stormKillCommand(Path home, Path topoConf, String topology) {
        return stormCommand(home, topoConf, List.of("-client", "-Ddaemon.name="), true, true, List.of(),
                "org.apache.storm.command.KillTopology", List.of("-w", "1", topology));
    }

    /** conf/cluster.yaml, pointed at this test's cluster, Ignite node, Flume agent and directories. */
    private Path writeTopologyConfig(Cluster c, Path work) throws IOException {
        ObjectNode conf = (ObjectNode) YAML.readTree(repo.resolve("conf/cluster.yaml").toFile());
        conf.putArray("nimbus.seeds").add("127.0.0.1");
        conf.put("nimbus.thrift.port", c.nimbusPort);
        conf.putArray("storm.zookeeper.servers").add("127.0.0.1");
        conf.put("storm.zookeeper.port", c.zkPort);
        ObjectNode httpConf = (ObjectNode) conf.get("http");
        httpConf.put("host", "127.0.0.1").put("port", c.spoutPorts[0]);
        ObjectNode auth = conf.putObject("auth");
        auth.put("mode", "jwt").put("hs256SecretEnv", SECRET_ENV);
        ObjectNode ignite = (ObjectNode) conf.get("ignite");
        ignite.putArray("addresses").add("127.0.0.1:" + c.ignitePort);
        ignite.put("cacheBackups", 0); // one node
        ObjectNode flume = (ObjectNode) conf.get("flume");
        flume.putArray("agents").add("127.0.0.1:" + c.flumePort);
        ObjectNode files = (ObjectNode) conf.get("files");
        files.put("dir", c.filesDir.toString()).put("rollIntervalMs", 5000);
        ObjectNode topology = (ObjectNode) conf.get("topology");
        topology.put("name", "idbsync-cluster-it");
        ObjectNode storm = (ObjectNode) topology.get("storm");
        // Two workers of 1 GB each would crowd the 2 cores' machine this runs on; the flags after -Xmx are cluster.yaml's.
        storm.put("topology.worker.childopts", storm.get("topology.worker.childopts").asText().replace("-Xmx1g", "-Xmx384m"));
        Path dir = Files.createDirectories(work.resolve("conf"));
        copyTree(repo.resolve("conf/schemas"), dir.resolve("schemas"));
        Path file = dir.resolve("cluster.yaml");
        YAML.writeValue(file.toFile(), conf);
        return file;
    }

    // ---- checks -----------------------------------------------------------------------------

    private void checkIgnite(Cluster c, List<SyncClient> clients) throws Exception {
        try (IgniteClient ignite = Ignition.startClient(new ClientConfiguration().setAddresses("127.0.0.1:" + c.ignitePort))) {
            ClientCache<String, String> records = ignite.cache("notes-app.notes");
            for (SyncClient sc : clients) {
                for (Map.Entry<String, List<Long>> e : sc.seqsByKey().entrySet()) {
                    List<Long> seqs = e.getValue();
                    for (int i = 0; i < seqs.size(); i++) {
                        SyncClient.Outcome o = sc.told.get(seqs.get(i));
                        assertEquals("applied", o.status(), sc.id + " seq " + seqs.get(i));
                        assertEquals(i + 1, o.version(), sc.id + " seq " + seqs.get(i) + ": the version told (a change decided twice"
                                + " would skip one)");
                    }
                    String stored = records.get(JSON.writeValueAsString(e.getKey()));
                    assertTrue(stored != null, "record " + e.getKey() + " missing in Ignite");
                    JsonNode rec = JSON.readTree(stored);
                    long last = seqs.get(seqs.size() - 1);
                    assertEquals(seqs.size(), rec.path("version").asLong(), e.getKey() + ": version = changes answered (none lost, none twice): " + stored);
                    assertEquals(sc.id + "#" + last, rec.path("value").path("title").asText(), e.getKey() + ": " + stored);
                }
            }
        }
    }

    private static void checkEvents(String sink, Map<String, Set<Long>> events, List<SyncClient> clients) {
        for (SyncClient sc : clients) {
            for (Map.Entry<String, List<Long>> e : sc.seqsByKey().entrySet()) {
                for (long seq : e.getValue()) {
                    String id = "notes-app/" + sc.id + "/" + seq;
                    Set<Long> versions = events.get(id);
                    assertTrue(versions != null, sink + ": no event " + id + " (answered " + sc.told.get(seq) + ")");
                    assertEquals(Set.of(sc.told.get(seq).version()), versions, sink + ": " + id + " with another version");
                }
            }
        }
        System.out.printf("[cluster-it] %s: every answered change there, each repeat with its version%n", sink);
    }

    private static Map<String, Set<Long>> flumeEvents(Path dir) throws IOException {
        Map<String, Set<Long>> m = new HashMap<>();
        int lines = 0;
        try (Stream<Path> s = Files.list(dir)) {
            for (Path f : s.toList()) {
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    Matcher mt = FLUME_LINE.matcher(line);
                    if (mt.find()) {
                        lines++;
                        m.computeIfAbsent(mt.group(1), k -> new java.util.HashSet<>()).add(Long.parseLong(mt.group(2)));
                    }
                }
            }
        }
        System.out.printf("[cluster-it] Flume: %d event lines, %d repeats%n", lines, lines - m.size());
        return m;
    }

    private static Map<String, Set<Long>> fileEvents(Path dir) throws IOException {
        Map<String, Set<Long>> m = new HashMap<>();
        int lines = 0;
        List<Path> inProgress;
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> all = s.filter(Files::isRegularFile).toList();
            inProgress = all.stream().filter(p -> !p.toString().endsWith(".jsonl")).toList();
            for (Path f : all.stream().filter(p -> p.toString().endsWith(".jsonl")).toList()) {
                for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    JsonNode n = JSON.readTree(line);
                    lines++;
                    m.computeIfAbsent(n.path("eventId").asText(), k -> new java.util.HashSet<>()).add(n.path("version").asLong());
                }
            }
        }
        System.out.printf("[cluster-it] files: %d lines in committed files, %d repeats; not committed: %s%n", lines, lines - m.size(),
                inProgress);
        return m;
    }

    // ---- helpers ----------------------------------------------------------------------------

    private static int[] freePair() {
        while (true) {
            int p = Ports.free();
            try (java.net.ServerSocket s = new java.net.ServerSocket(p + 1, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
                return new int[] {p, p + 1};
            } catch (IOException e) {
                // p + 1 is taken; try another
            }
        }
    }

    private String token(String user) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject(user)
                .claim("scope", "notes-app:write notes-app:read")
                .expirationTime(new Date(System.currentTimeMillis() + 3_600_000)).build());
        jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    /** "<status> <body>" of GET /health, or "down" when the port does not answer. */
    private String health(int port) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health"))
                    .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.ofString());
            return r.statusCode() + " " + r.body();
        } catch (IOException e) {
            return "down";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "down";
        }
    }

    private boolean healthy(int port) {
        return health(port).startsWith("200 ");
    }

    private void waitHealthy(int[] ports, Duration max) throws InterruptedException {
        waitFor(() -> healthy(ports[0]) && healthy(ports[1]), max, "GET /health 200 on both spout ports");
    }

    private static void waitFor(java.util.function.BooleanSupplier cond, Duration max, String what) throws InterruptedException {
        long end = System.nanoTime() + max.toNanos();
        while (!cond.getAsBoolean()) {
            if (System.nanoTime() > end) {
                throw new AssertionError("timed out after " + max + " waiting for " + what);
            }
            Thread.sleep(250);
        }
    }

    /** The worker process with a socket listening on the port (Linux: /proc/net/tcp and each worker's fds). */
    private static ProcessHandle workerListeningOn(Processes procs, int port) throws IOException {
        Set<String> inodes = new java.util.HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            Path t = Path.of(table);
            if (!Files.exists(t)) {
                continue;
            }
            for (String line : Files.readAllLines(t)) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && f[1].contains(":") && f[3].equals("0A")
                        && Integer.parseInt(f[1].substring(f[1].indexOf(':') + 1), 16) == port) {
                    inodes.add("socket:[" + f[9] + "]");
                }
            }
        }
        for (ProcessHandle h : procs.find(cmd -> cmd.contains("org.apache.storm.daemon.worker.Worker"))) {
            try (Stream<Path> fds = Files.list(Path.of("/proc", String.valueOf(h.pid()), "fd"))) {
                if (fds.anyMatch(fd -> {
                    try {
                        return inodes.contains(Files.readSymbolicLink(fd).toString());
                    } catch (IOException e) {
                        return false;
                    }
                })) {
                    return h;
                }
            }
        }
        throw new AssertionError("no worker listens on " + port);
    }

    private static void copyResource(String name, Path to) throws IOException {
        try (InputStream in = ClusterIT.class.getResourceAsStream("/" + name)) {
            Files.copy(in, to);
        }
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : s.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
