package dev.idbsync.pipelines.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.testkit.Ports;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the pipelines ITs share, with nothing of idbsync on the classpath: {@link Run} (./run-local
 * in its own process), {@link Client} and {@link Push} (pushes over real HTTP, as PROTOCOL.md
 * describes them), {@link Expected} (what an answered change must look like in the files), and
 * {@link SinkFiles} (the file sink's directory layout, read with plain NIO and Jackson). The
 * static line functions ({@link #eventId}, {@link #summary}, {@link #rejectedSummary}) are what
 * the Beam and Flink pipelines run on each line, so both compare the same thing.
 */
final class FileSinkHarness {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String DB = "notes-app";
    static final String STORE = "notes";

    private FileSinkHarness() {
    }

    static void log(String fmt, Object... args) {
        System.out.printf("[pipelines-it] " + fmt + "%n", args);
    }

    static double secondsSince(long startNanos) {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    /** The checkout's root (where run-local and conf/local.yaml are), above the module's directory. */
    static Path repoRoot() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !(Files.isExecutable(p.resolve("run-local")) && Files.exists(p.resolve("conf/local.yaml")))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no run-local (with conf/local.yaml) above " + Path.of("").toAbsolutePath());
        }
        return p;
    }



    // ---------------------------------------------------------------- the lines, as pipelines see them

    static JsonNode parse(String line) {
        try {
            return MAPPER.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a JSON line: " + line, e);
        }
    }

    /** The line's eventId, the key repeats are dropped by. */
    static String eventId(String line) {
        return parse(line).path("eventId").asText();
    }

    /**
     * One committed change line, reduced to what the test pushed and was answered: its id, record,
     * status, version and (for a conflict, its policy) and the op and title the client sent, which
     * is {@code op}/{@code value} for an applied change and {@code losingOp}/{@code losingValue} for
     * a conflict. A value field present on a delete shows as such and fails the comparison.
     */
    static String summary(String line) {
        JsonNode n = parse(line);
        String status = n.path("status").asText("(none)");
        boolean conflict = "conflict".equals(status);
        return changeSummary(n.path("eventId").asText("(none)"), n.path("db").asText("(none)"),
                n.path("store").asText("(none)"), n.path("clientId").asText("(none)"), n.path("seq").asLong(-1),
                n.get("key"), status, n.path("version").asLong(-1), conflict ? n.path("policy").asText("(none)") : null,
                (conflict ? n.path("losingOp") : n.path("op")).asText("(none)"), conflict ? n.get("losingValue") : n.get("value"));
    }

    static String changeSummary(String eventId, String db, String store, String clientId, long seq, JsonNode key,
                                String status, long version, String policy, String sentOp, JsonNode sentValue) {
        String title = sentValue == null ? "(absent)"
                : sentValue.isObject() && sentValue.has("title") ? sentValue.get("title").asText() : "(not a note) " + sentValue;
        return eventId + " | " + db + "/" + store + " " + clientId + "#" + seq + " | key=" + (key == null ? "(absent)" : canonical(key))
                + " | " + status + " v" + version + (policy == null ? "" : " policy=" + policy)
                + " | sent " + sentOp + " title=" + title;
    }

    /** One rejected line: id, db, who, the change as sent (canonical JSON), error code and pointer, whether it has {@code at}. */
    static String rejectedSummary(String line) {
        JsonNode n = parse(line);
        return rejectedSummary(n.path("eventId").asText("(none)"), n.path("db").asText("(none)"), n.path("clientId").asText("(none)"),
                n.path("seq").asLong(-1), n.get("change"), n.path("error").path("code").asText("(none)"),
                n.path("error").path("path").asText("(none)"), n.path("at").isIntegralNumber() && n.path("at").asLong() > 0);
    }

    static String rejectedSummary(String eventId, String db, String clientId, long seq, JsonNode change, String code,
                                  String path, boolean hasAt) {
        return eventId + " | " + db + " " + clientId + "#" + seq + " | change=" + (change == null ? "(absent)" : canonical(change))
                + " | error " + code + " at " + path + " | at=" + (hasAt ? "epoch ms" : "(missing)");
    }

    /** JSON with object fields sorted, so that two serializations of one value compare equal. */
    static String canonical(JsonNode n) {
        if (n.isObject()) {
            Map<String, String> sorted = new TreeMap<>();
            n.fields().forEachRemaining(e -> sorted.put(e.getKey(), canonical(e.getValue())));
            return sorted.entrySet().stream()
                    .map(e -> MAPPER.getNodeFactory().textNode(e.getKey()) + ":" + e.getValue())
                    .collect(Collectors.joining(",", "{", "}"));
        }
        if (n.isArray()) {
            List<String> items = new ArrayList<>();
            n.forEach(c -> items.add(canonical(c)));
            return String.join(",", items).transform(s -> "[" + s + "]");
        }
        return n.toString();
    }

    // ---------------------------------------------------------------- ./run-local

    /** One ./run-local process on its own ports and data dir, and the lines it printed. */
    static final class Run implements AutoCloseable {
        private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
        /** run-local builds the project first when a source changed since the last build. */
        private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(15);

        final int port;
        final Path dataDir;
        private final Process process;
        private final List<String> lines = new CopyOnWriteArrayList<>();

        private Run(int port, Path dataDir, Process process) {
            this.port = port;
            this.dataDir = dataDir;
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        lines.add(l);
                    }
                } catch (IOException e) {
                    // the process ended
                }
            }, "run-local output " + port);
            reader.setDaemon(true);
            reader.start();
        }

        /** Starts ./run-local on free ports and waits for its "ready on" line. */
        static Run start(Path dataDir) throws IOException, InterruptedException {
            return start(dataDir, List.of());
        }

        /** The same with further run-local arguments (--kafka). */
        static Run start(Path dataDir, List<String> extra) throws IOException, InterruptedException {
            long t0 = System.nanoTime();
            int port = Ports.free();
            int ignitePort = Ports.free();
            List<String> command = new ArrayList<>(List.of(repoRoot().resolve("run-local").toString(),
                    "--port", Integer.toString(port), "--ignite-port", Integer.toString(ignitePort),
                    "--data-dir", dataDir.toString()));
            Path config = configWithFreeIgnitePorts(dataDir.toAbsolutePath().getParent().resolve("conf-" + port));
            if (config != null) {
                command.addAll(List.of("--config", config.toString()));
            }
            command.addAll(extra);
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            Run run = new Run(port, dataDir, p);
            try {
                run.awaitReady();
            } catch (AssertionError | InterruptedException e) {
                run.close();
                throw e;
            }
            log("run-local ready on port %d after %.1f s%s (data %s)", port, secondsSince(t0),
                    run.built() ? ", including a build of the project" : "", dataDir);
            return run;
        }

        /**
         * A copy of the checkout's conf/ (paths in local.yaml are relative to it) whose embedded
         * Ignite node listens on free discovery and communication ports: local.yaml fixes them
         * (47500, 47100, no range) and run-local has no flag for them, so two local runs on one
         * machine (these tests and another test suite or a developer's run) would collide. Null,
         * and the repo's config is used, if local.yaml no longer names those ports.
         */
        private static Path configWithFreeIgnitePorts(Path confCopy) throws IOException {
            Path conf = repoRoot().resolve("conf");
            String yaml = Files.readString(conf.resolve("local.yaml"));
            String changed = yaml
                    .replaceFirst("(?m)^(\\s+discoveryPort:\\s*)\\d+", "$1" + Ports.free())
                    .replaceFirst("(?m)^(\\s+communicationPort:\\s*)\\d+", "$1" + Ports.free());
            if (changed.equals(yaml)) {
                log("conf/local.yaml names no discoveryPort/communicationPort: using it as it is");
                return null;
            }
            try (Stream<Path> files = Files.walk(conf)) {
                for (Path f : files.toList()) {
                    Path target = confCopy.resolve(conf.relativize(f).toString());
                    if (Files.isDirectory(f)) {
                        Files.createDirectories(target);
                    } else {
                        Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            Path config = confCopy.resolve("local.yaml");
            Files.writeString(config, changed);
            return config;
        }

        /** The lines run-local printed so far. */
        List<String> lines() {
            return List.copyOf(lines);
        }

        String baseUrl() {
            return "http://127.0.0.1:" + port;
        }

        boolean built() {
            return lines.stream().anyMatch(l -> l.startsWith("building idbsync"));
        }

        private void awaitReady() throws InterruptedException {
            String ready = "ready on " + baseUrl();
            long start = System.nanoTime();
            while (true) {
                if (lines.contains(ready)) {
                    return;
                }
                Duration limit = built() ? BUILD_TIMEOUT : READY_TIMEOUT;
                if (!process.isAlive() || System.nanoTime() - start > limit.toNanos()) {
                    throw new AssertionError("./run-local printed no \"" + ready + "\" (alive: " + process.isAlive()
                            + ", log in " + dataDir.resolve("logs/idbsync.log") + "); it printed: " + tail());
                }
                Thread.sleep(100);
            }
        }

        String tail() {
            List<String> l = new ArrayList<>(lines);
            return String.join("\n", l.subList(Math.max(0, l.size() - 40), l.size()));
        }

        /** SIGKILL, as a crash or the OOM killer would: nothing of the process runs after it. */
        void kill() throws InterruptedException {
            List<ProcessHandle> children = process.toHandle().descendants().toList();
            process.toHandle().destroyForcibly();
            children.forEach(ProcessHandle::destroyForcibly);
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                throw new AssertionError("the run did not die within 30 s of SIGKILL");
            }
        }

        /** SIGTERM, as Ctrl-C or a service manager would send; returns the exit code. */
        int stop() throws InterruptedException {
            long t0 = System.nanoTime();
            // ProcessHandle#destroy sends SIGTERM and leaves the pipes open, so the last lines can
            // still be read (Process#destroy would close them at once).
            process.toHandle().destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError("the run did not stop within 60 s of SIGTERM: " + tail());
            }
            Thread.sleep(200); // let the reader take the last lines
            log("run-local on port %d stopped (exit %d) in %.1f s", port, process.exitValue(), secondsSince(t0));
            return process.exitValue();
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.toHandle().destroy();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                    process.waitFor(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    // ---------------------------------------------------------------- pushes over HTTP

    /** A real HTTP client, as a browser's fetch would be. */
    static final class Client {
        /** How long a push is retried (503, pending) before the test gives up on it. */
        private static final Duration DECIDE_TIMEOUT = Duration.ofSeconds(90);
        private final HttpClient http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
        private final String base;
        /** For each out_of_order that sent the client back before its push: how many seqs back. */
        final List<Long> outOfOrderBack = new CopyOnWriteArrayList<>();

        Client(String base) {
            this.base = base;
        }

        /** POST /v1/sync; an IOException means no answer (the server went away mid-request). */
        Answer push(Push push) throws IOException, InterruptedException {
            HttpRequest r = HttpRequest.newBuilder(URI.create(base + "/v1/sync"))
                    .timeout(Duration.ofSeconds(60))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(push.json()))
                    .build();
            HttpResponse<String> resp = http.send(r, HttpResponse.BodyHandlers.ofString());
            return new Answer(resp.statusCode(), resp.body(), resp.headers().firstValue("Retry-After").orElse(null));
        }

        /** {@link #pushUntilDecided(Push, Push)} for a client that keeps nothing older than this push. */
        Map<Long, JsonNode> pushUntilDecided(Push push) throws IOException, InterruptedException {
            return pushUntilDecided(push, push);
        }

        /**
         * Pushes until every change of the push has its final outcome, as PROTOCOL.md tells a
         * client to: a 503 is retried after its Retry-After, {@code pending} is resent from its
         * seq, {@code out_of_order} from its {@code expectedSeq}, taking the earlier changes from
         * {@code outbox} (everything the client has sent). Returns the final result of each
         * change by seq.
         */
        Map<Long, JsonNode> pushUntilDecided(Push push, Push outbox) throws IOException, InterruptedException {
            Map<Long, JsonNode> decided = new TreeMap<>();
            Push rest = push;
            long deadline = System.nanoTime() + DECIDE_TIMEOUT.toNanos();
            List<String> answers = new ArrayList<>();
            for (int attempt = 1; ; attempt++) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("push of " + push.clientId() + " from seq " + push.firstSeq + " not decided after "
                            + DECIDE_TIMEOUT.toSeconds() + " s and " + (attempt - 1) + " attempts; answers, oldest first: " + answers);
                }
                Answer a = push(rest);
                answers.add(a.status == 200 ? a.body : a.status + " " + a.body);
                if (answers.size() > 6) {
                    answers.remove(3); // the first three and the last three
                }
                if (a.status == 503) {
                    Thread.sleep(1000L * (a.retryAfter == null ? 1 : Math.max(1, Long.parseLong(a.retryAfter))));
                    continue;
                }
                if (a.status != 200) {
                    throw new AssertionError("push answered " + a + " for " + rest.json());
                }
                Long resendFrom = null;
                for (JsonNode r : a.json().path("results")) {
                    String s = r.path("status").asText();
                    if (s.equals("pending")) {
                        resendFrom = r.path("seq").asLong();
                        break;
                    }
                    if (s.equals("out_of_order")) {
                        resendFrom = r.path("expectedSeq").asLong();
                        if (resendFrom < push.firstSeq) {
                            outOfOrderBack.add(push.firstSeq - resendFrom);
                        }
                        break;
                    }
                    decided.put(r.path("seq").asLong(), r);
                }
                if (resendFrom == null) {
                    return decided;
                }
                if (resendFrom < outbox.firstSeq) {
                    throw new AssertionError("the server wants " + push.clientId() + "'s changes from seq " + resendFrom
                            + ", before the first one the client kept (" + outbox.firstSeq + "): " + a);
                }
                Thread.sleep(200);
                rest = outbox.range(resendFrom, push.nextSeq() - 1);
            }
        }
    }

    /** Status, body and Retry-After of one answer. */
    record Answer(int status, String body, String retryAfter) {
        JsonNode json() {
            return parse(body);
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    /**
     * A push body of PROTOCOL.md: {@code Push.by("c-1").put("n-1", note("x"), ts).delete("n-1", ts)}.
     * Seqs count up from {@link #startingAt(long)}; {@code sentAt} is taken when the body is built,
     * so a change's {@code ts} is the client's wall clock when it was made, relative to now.
     */
    static final class Push {
        private final String clientId;
        private final long firstSeq;
        private final long sentAt;
        private final List<ObjectNode> changes = new ArrayList<>();

        private Push(String clientId, long firstSeq, long sentAt) {
            this.clientId = clientId;
            this.firstSeq = firstSeq;
            this.sentAt = sentAt;
        }

        static Push by(String clientId) {
            return new Push(clientId, 1, System.currentTimeMillis());
        }

        static ObjectNode note(String title) {
            return MAPPER.createObjectNode().put("title", title);
        }

        Push startingAt(long seq) {
            return new Push(clientId, seq, sentAt);
        }

        String clientId() {
            return clientId;
        }

        long nextSeq() {
            return firstSeq + changes.size();
        }

        /** A put made {@code ageMs} before the push is sent, on baseVersion 0. */
        Push put(Object key, ObjectNode value, long ageMs) {
            change(key, "put", ageMs).set("value", value);
            return this;
        }

        Push delete(Object key, long ageMs) {
            change(key, "delete", ageMs);
            return this;
        }

        private ObjectNode change(Object key, String op, long ageMs) {
            ObjectNode c = MAPPER.createObjectNode();
            c.put("seq", nextSeq());
            c.put("store", STORE);
            c.set("key", MAPPER.valueToTree(key));
            c.put("op", op);
            c.put("baseVersion", 0);
            c.put("ts", sentAt - ageMs);
            changes.add(c);
            return c;
        }

        List<ObjectNode> changes() {
            return changes;
        }

        /** The changes from seq {@code from} to {@code to}, as a push to resend. */
        Push range(long from, long to) {
            Push p = new Push(clientId, from, sentAt);
            for (ObjectNode c : changes) {
                long seq = c.path("seq").asLong();
                if (seq >= from && seq <= to) {
                    p.changes.add(c);
                }
            }
            return p;
        }

        /** Adds the changes of a later push (an outbox: everything a client has sent). */
        Push append(Push later) {
            if (later.firstSeq != nextSeq()) {
                throw new IllegalArgumentException("push from seq " + later.firstSeq + " does not follow " + (nextSeq() - 1));
            }
            changes.addAll(later.changes);
            return this;
        }

        String json() {
            ObjectNode root = MAPPER.createObjectNode();
            root.put("db", DB);
            root.put("clientId", clientId);
            root.put("sentAt", sentAt);
            ArrayNode a = root.putArray("changes");
            changes.forEach(a::add);
            return root.toString();
        }
    }

    // ---------------------------------------------------------------- what the files must hold

    /** A change the server answered applied or conflict, and what its line must say. */
    /** What {@link #landExampleData} pushed and found committed. */
    record Landed(Pushed pushed, List<Line> changeLines, List<Line> rejectedLines, Map<Path, String> committed, Rejected bad) {
    }

    /**
     * Pushes the example data to a run, checks the answers, waits (the sink rolls every 5 s at
     * most) until the committed files hold every acknowledged change and the rejected one, and
     * checks every line: the part the Beam and the Flink tests share.
     */
    static Landed landExampleData(Run run, SinkFiles files, Path data) throws Exception {
        long tPush = System.nanoTime();
        Pushed pushed = FileSinkHarness.pushExampleData(new Client(run.baseUrl()));
        log("pushed %d changes in %d pushes in %.1f s: %d applied, %d conflict, %d rejected", pushed.changes(),
                pushed.pushes(), secondsSince(tPush), pushed.count("applied"), pushed.count("conflict"), pushed.rejected().size());
        assertEquals(pushed.changes() - 1, pushed.acked().size(), "every valid change is applied or conflict");
        assertTrue(pushed.count("conflict") > 0, "the shared records make conflicts");
        assertEquals(1, pushed.rejected().size(), "the untitled note is rejected: " + pushed.rejected());
        Rejected bad = pushed.rejected().get(0);
        assertEquals("schema", bad.code());
        assertEquals("/value/title", bad.path());

        // Wait (the sink rolls every 5 s at most) until the committed files hold everything.
        long tCommit = System.nanoTime();
        List<Line> changeLines = files.awaitCommitted(files.changesDir(), pushed.acked().keySet(), Duration.ofSeconds(60));
        List<Line> rejectedLines = files.awaitCommitted(files.rejectedDir(), pushed.rejectedIds(), Duration.ofSeconds(60));
        log("committed after %.1f s: %d change lines (%d repeats) in %d files, %d rejected lines", secondsSince(tCommit),
                changeLines.size(), FileSinkHarness.repeats(changeLines), files.committed(files.changesDir()).size(),
                rejectedLines.size());
        Map<Path, String> committed = files.snapshot();
        changeLines.forEach(files::checkChangeLine);
        rejectedLines.forEach(files::checkRejectedLine);
        assertFalse(files.eventIdsInAnyFile(data.resolve("changes")).contains(bad.eventId()),
                "the rejected change is in no file under changes/, committed or in progress");
        return new Landed(pushed, changeLines, rejectedLines, committed, bad);
    }

    record Expected(String eventId, String clientId, long seq, JsonNode key, String status, long version, String policy,
                    String sentOp, JsonNode sentValue) {
        String summary() {
            return changeSummary(eventId, DB, STORE, clientId, seq, key, status, version, policy, sentOp, sentValue);
        }

        /**
         * The expected line of a change from its answer (a duplicate stands for its first outcome);
         * null when the change did not end applied or conflict.
         */
        static Expected of(String clientId, ObjectNode change, JsonNode result) {
            String status = result.path("status").asText();
            if (status.equals("duplicate")) {
                status = result.path("first").asText();
            }
            if (!status.equals("applied") && !status.equals("conflict")) {
                return null;
            }
            long seq = change.path("seq").asLong();
            return new Expected(DB + "/" + clientId + "/" + seq, clientId, seq, change.get("key"), status,
                    result.path("version").asLong(), status.equals("conflict") ? result.path("policy").asText("(none)") : null,
                    change.path("op").asText(), change.get("value"));
        }
    }

    /** A change the server answered rejected, and what its line in rejected/ must say. */
    record Rejected(String eventId, String clientId, long seq, ObjectNode change, String code, String path) {
        String summary() {
            return rejectedSummary(eventId, DB, clientId, seq, change, code, path, true);
        }
    }

    /** What the example data set pushed and how the server answered it. */
    record Pushed(Map<String, Expected> acked, List<Rejected> rejected, int pushes, int changes) {
        long count(String status) {
            return acked.values().stream().filter(e -> e.status.equals(status)).count();
        }

        Set<String> rejectedIds() {
            return rejected.stream().map(Rejected::eventId).collect(Collectors.toCollection(TreeSet::new));
        }
    }

    static final List<String> CLIENTS = List.of("c-alpha", "c-beta", "c-gamma", "c-delta");
    static final int CHANGES_PER_CLIENT = 50;
    static final int CHANGES_PER_PUSH = 10;
    static final long INVALID_SEQ = 25;

    /**
     * Pushes the example data set: 4 clients x 50 changes (10 per push, the clients taking turns),
     * 200 in all. Among them: an array key and a number key; a put and then a delete of one
     * record per client; five records all four clients write on baseVersion 0, each later client
     * with an older ts, so that lww makes conflicts; and one put without a title (c-gamma, seq 25)
     * that the schema rejects, in the middle of a push whose later changes must go through.
     */
    static Pushed pushExampleData(Client client) throws IOException, InterruptedException {
        Map<String, Expected> acked = new LinkedHashMap<>();
        List<Rejected> rejected = new ArrayList<>();
        int pushes = 0;
        for (long first = 1; first <= CHANGES_PER_CLIENT; first += CHANGES_PER_PUSH) {
            for (int j = 0; j < CLIENTS.size(); j++) {
                String c = CLIENTS.get(j);
                Push push = Push.by(c).startingAt(first);
                for (long s = first; s < first + CHANGES_PER_PUSH; s++) {
                    addExampleChange(push, j, s);
                }
                pushes++;
                record(push, client.pushUntilDecided(push), acked, rejected);
            }
        }
        return new Pushed(acked, rejected, pushes, CLIENTS.size() * CHANGES_PER_CLIENT);
    }

    private static void addExampleChange(Push push, int clientIndex, long s) {
        String c = CLIENTS.get(clientIndex);
        long age = 600_000 - s * 1000; // the client's own edits: older first, minutes ago
        if (clientIndex == 0 && s == 1) {
            push.put(List.of("2026", 7, "alpha"), Push.note("alpha: an array key"), age);
        } else if (clientIndex == 1 && s == 1) {
            push.put(42, Push.note("beta: a number key"), age);
        } else if (clientIndex == 2 && s == INVALID_SEQ) {
            ObjectNode noTitle = MAPPER.createObjectNode().put("done", true);
            push.put(c + "-untitled", noTitle, age);
        } else if (s == 5) {
            push.put(c + "-doomed", Push.note(c + ": soon deleted"), age);
        } else if (s == 6) {
            push.delete(c + "-doomed", age);
        } else if (s % 10 == 0) {
            // Shared records: a later client's write is older, so lww keeps the first one.
            push.put("shared-" + s / 10, Push.note(c + ": shared " + s / 10), 60_000L * (clientIndex + 1));
        } else {
            push.put(c + "-n-" + s % 7, Push.note(c + ": note " + s % 7 + " edit " + s), age);
        }
    }

    /** Files each change's result under acked or rejected. */
    static void record(Push push, Map<Long, JsonNode> results, Map<String, Expected> acked, List<Rejected> rejected) {
        for (ObjectNode change : push.changes()) {
            long seq = change.path("seq").asLong();
            JsonNode r = results.get(seq);
            if (r == null) {
                continue;
            }
            Expected e = Expected.of(push.clientId(), change, r);
            if (e != null) {
                acked.put(e.eventId(), e);
            } else if ("rejected".equals(r.path("status").asText()) || "rejected".equals(r.path("first").asText())) {
                rejected.add(new Rejected(DB + "/" + push.clientId() + "/" + seq, push.clientId(), seq, change,
                        r.path("error").path("code").asText(), r.path("error").path("path").asText()));
            } else {
                throw new AssertionError("unexpected result " + r + " for " + change);
            }
        }
    }

    // ---------------------------------------------------------------- the file sink's files

    /** A line of a committed file and where it was. */
    record Line(Path file, int number, String text, JsonNode json) {
        String eventId() {
            return json.path("eventId").asText();
        }

        @Override
        public String toString() {
            return file.getFileName() + ":" + number + " " + text;
        }
    }

    /** The file sink's directory layout under a run's data dir. */
    static final class SinkFiles {
        private static final String COMMITTED = ".jsonl";
        private static final String IN_PROGRESS = ".jsonl.inprogress";

        final Path root;

        SinkFiles(Path dataDir) {
            this.root = dataDir;
        }

        Path changesDir() {
            return root.resolve("changes").resolve("db=" + DB).resolve("store=" + STORE);
        }

        Path rejectedDir() {
            return root.resolve("rejected").resolve("db=" + DB);
        }

        /** The glob a pipeline reads: committed files only, never a {@code .jsonl.inprogress}. */
        String changesGlob() {
            return changesDir() + "/*/*/*" + COMMITTED;
        }

        String rejectedGlob() {
            return rejectedDir() + "/*/*/*" + COMMITTED;
        }

        List<Path> committed(Path under) {
            return files(under, COMMITTED);
        }

        List<Path> inProgress() {
            List<Path> all = new ArrayList<>(files(root.resolve("changes"), IN_PROGRESS));
            all.addAll(files(root.resolve("rejected"), IN_PROGRESS));
            return all;
        }

        private static List<Path> files(Path under, String suffix) {
            return walk(under).stream().filter(p -> p.getFileName().toString().endsWith(suffix)).toList();
        }

        /** The regular files under a directory; walks again when a file is renamed (committed) during the walk. */
        private static List<Path> walk(Path under) {
            for (int attempt = 1; ; attempt++) {
                if (!Files.isDirectory(under)) {
                    return List.of();
                }
                try (Stream<Path> s = Files.walk(under)) {
                    return s.filter(Files::isRegularFile).sorted().toList();
                } catch (IOException | UncheckedIOException e) {
                    if (attempt == 5) {
                        throw new AssertionError("cannot list " + under, e);
                    }
                }
            }
        }

        /**
         * Every line of every committed file under {@code under}, each checked: the file ends
         * with a newline (no torn last line), each line is one JSON object.
         */
        List<Line> read(Path under) throws IOException {
            List<Line> out = new ArrayList<>();
            for (Path f : committed(under)) {
                String text = Files.readString(f, StandardCharsets.UTF_8);
                if (!text.isEmpty() && !text.endsWith("\n")) {
                    throw new AssertionError("committed file " + f + " ends in a partial line: "
                            + text.substring(text.lastIndexOf('\n') + 1));
                }
                String[] parts = text.split("\n", -1); // the last part is what follows the last newline: ""
                for (int i = 0; i < parts.length - 1; i++) {
                    String l = parts[i];
                    int n = i + 1;
                    JsonNode j;
                    try {
                        j = MAPPER.readTree(l);
                    } catch (JsonProcessingException e) {
                        throw new AssertionError("committed file " + f + " line " + n + " is not JSON: " + l, e);
                    }
                    if (j == null || !j.isObject()) {
                        throw new AssertionError("committed file " + f + " line " + n + " is not one JSON object: " + l);
                    }
                    out.add(new Line(f, n, l, j));
                }
            }
            return out;
        }

        /** Every committed file under the root (changes and rejected) with its content. */
        Map<Path, String> snapshot() throws IOException {
            Map<Path, String> out = new TreeMap<>();
            for (Path f : committed(root)) {
                out.put(f, Files.readString(f, StandardCharsets.UTF_8));
            }
            return out;
        }

        /** A committed file never changes: each file of the snapshot is still there, as it was. */
        void assertUnchanged(Map<Path, String> snapshot) throws IOException {
            for (Map.Entry<Path, String> e : snapshot.entrySet()) {
                if (!Files.exists(e.getKey())) {
                    throw new AssertionError("committed file " + e.getKey() + " is gone");
                }
                if (!Files.readString(e.getKey(), StandardCharsets.UTF_8).equals(e.getValue())) {
                    throw new AssertionError("committed file " + e.getKey() + " changed after it was committed");
                }
            }
        }

        /** The eventIds of the complete lines of every file under {@code under}, committed or in progress. */
        Set<String> eventIdsInAnyFile(Path under) throws IOException {
            Set<String> ids = new TreeSet<>();
            for (Path f : walk(under)) {
                try {
                    for (String l : completeLines(f)) {
                        ids.add(parse(l).path("eventId").asText());
                    }
                } catch (NoSuchFileException e) {
                    // renamed on commit since the walk: the committed name was listed or is read below
                    Path committed = f.resolveSibling(f.getFileName().toString().replace(IN_PROGRESS, COMMITTED));
                    if (Files.exists(committed)) {
                        completeLines(committed).forEach(l -> ids.add(parse(l).path("eventId").asText()));
                    }
                }
            }
            return ids;
        }

        /** The complete lines (up to the last newline) of a file, e.g. one a crash left in progress. */
        static List<String> completeLines(Path f) throws IOException {
            String text = Files.readString(f, StandardCharsets.UTF_8);
            int end = text.lastIndexOf('\n');
            return end < 0 ? List.of() : List.of(text.substring(0, end).split("\n"));
        }

        /**
         * Polls until the committed files under {@code under} hold every one of {@code ids}; returns
         * their lines. Fails after {@code max} with what is missing and which files are still in
         * progress.
         */
        List<Line> awaitCommitted(Path under, Set<String> ids, Duration max) throws IOException, InterruptedException {
            long t0 = System.nanoTime();
            while (true) {
                List<Line> lines;
                try {
                    lines = read(under);
                } catch (NoSuchFileException e) {
                    lines = null; // a file listed, then renamed: read again
                }
                if (lines != null) {
                    Set<String> missing = new TreeSet<>(ids);
                    lines.forEach(l -> missing.remove(l.eventId()));
                    if (missing.isEmpty()) {
                        log("all %d eventIds committed under %s after %.1f s", ids.size(), root.relativize(under), secondsSince(t0));
                        return lines;
                    }
                    if (System.nanoTime() - t0 > max.toNanos()) {
                        throw new AssertionError(missing.size() + " of " + ids.size() + " acknowledged eventIds are in no committed "
                                + "file under " + under + " after " + max.toSeconds() + " s (the local run should roll every 5 s at most),"
                                + " e.g. " + missing.stream().limit(10).toList() + "; committed files: " + committed(under)
                                + "; in progress: " + inProgress());
                    }
                }
                Thread.sleep(500);
            }
        }

        /**
         * The contract of a change line: its fields, and the partition of its file (db, store, and
         * the UTC date and hour of its serverTs).
         */
        void checkChangeLine(Line l) {
            JsonNode j = l.json();
            List<String> problems = new ArrayList<>();
            for (String f : List.of("eventId", "db", "store", "key", "op", "version", "clientId", "seq", "ts", "serverTs", "status")) {
                if (!j.hasNonNull(f)) {
                    problems.add("no " + f);
                }
            }
            String op = j.path("op").asText();
            if (op.equals("put") && !j.path("value").isObject()) {
                problems.add("a put without an object value");
            }
            if (op.equals("delete") && j.has("value")) {
                problems.add("a delete with a value field");
            }
            if (!op.equals("put") && !op.equals("delete")) {
                problems.add("op " + op);
            }
            String status = j.path("status").asText();
            if (status.equals("conflict")) {
                if (!j.hasNonNull("policy") || !j.hasNonNull("losingOp")) {
                    problems.add("a conflict without policy or losingOp");
                }
            } else if (!status.equals("applied")) {
                problems.add("status " + status);
            }
            String id = j.path("db").asText() + "/" + j.path("clientId").asText() + "/" + j.path("seq").asLong();
            if (!id.equals(j.path("eventId").asText())) {
                problems.add("eventId is not db/clientId/seq (" + id + ")");
            }
            ZonedDateTime at = Instant.ofEpochMilli(j.path("serverTs").asLong()).atZone(ZoneOffset.UTC);
            Path expectedDir = root.resolve("changes").resolve("db=" + j.path("db").asText())
                    .resolve("store=" + j.path("store").asText())
                    .resolve("date=" + at.toLocalDate()).resolve(String.format("hour=%02d", at.getHour()));
            if (!l.file().getParent().equals(expectedDir)) {
                problems.add("in " + root.relativize(l.file().getParent()) + ", not in " + root.relativize(expectedDir)
                        + " (UTC of serverTs)");
            }
            if (!l.file().getFileName().toString().startsWith("part-")) {
                problems.add("file name does not start with part-");
            }
            if (!problems.isEmpty()) {
                throw new AssertionError("change line breaks the contract (" + String.join("; ", problems) + "): " + l);
            }
        }

        /** The contract of a rejected line: its fields and its db partition. */
        void checkRejectedLine(Line l) {
            JsonNode j = l.json();
            List<String> problems = new ArrayList<>();
            for (String f : List.of("eventId", "db", "clientId", "seq", "change", "error", "at")) {
                if (!j.hasNonNull(f)) {
                    problems.add("no " + f);
                }
            }
            if (!j.path("error").hasNonNull("code") || !j.path("error").hasNonNull("message")) {
                problems.add("error without code or message");
            }
            Path rel = root.resolve("rejected").relativize(l.file());
            if (rel.getNameCount() != 4 || !rel.getName(0).toString().equals("db=" + j.path("db").asText())
                    || !rel.getName(1).toString().startsWith("date=") || !rel.getName(2).toString().startsWith("hour=")) {
                problems.add("not under rejected/db=<db>/date=YYYY-MM-DD/hour=HH/");
            }
            if (!problems.isEmpty()) {
                throw new AssertionError("rejected line breaks the contract (" + String.join("; ", problems) + "): " + l);
            }
        }
    }

    /**
     * Fails unless {@code actual} holds exactly {@code expected} (as multisets), naming only what
     * differs: a failure over 200 lines stays readable.
     */
    static void assertSameLines(String what, Collection<String> expected, Iterable<String> actual) {
        List<String> want = expected.stream().sorted().toList();
        List<String> got = new ArrayList<>();
        actual.forEach(got::add);
        got.sort(null);
        if (want.equals(got)) {
            return;
        }
        List<String> missing = new ArrayList<>(want);
        got.forEach(missing::remove);
        List<String> unexpected = new ArrayList<>(got);
        want.forEach(unexpected::remove);
        throw new AssertionError(what + ": " + got.size() + " lines where " + want.size() + " were expected; "
                + missing.size() + " missing, e.g. " + missing.stream().limit(10).toList() + "; "
                + unexpected.size() + " unexpected, e.g. " + unexpected.stream().limit(10).toList());
    }

    /** Repeats of one eventId: how many extra lines, over all ids. */
    static int repeats(List<Line> lines) {
        return lines.size() - (int) lines.stream().map(Line::eventId).distinct().count();
    }

}
