package dev.idbsync.topology.it;

import static dev.idbsync.topology.it.Push.note;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.ignite.SyncCaches;
import dev.idbsync.ignite.ThinClientFactory;
import dev.idbsync.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import javax.cache.Cache;
import org.apache.ignite.cache.query.ScanQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 11 over real HTTP: what an anonymous caller sends cannot stall the server, win every
 * conflict, merge two keys, leave traces for a db that is not configured, or get anything of a
 * refused request into a sink.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputIT {
    private static final String CACHE = "notes-app.notes";
    private static final Set<String> STATUSES = Set.of("applied", "conflict", "rejected", "duplicate", "out_of_order", "pending");

    @TempDir
    static Path dir;
    private TestStack stack;
    private Path data;

    @BeforeAll
    void start() throws Exception {
        data = dir.resolve("data");
        stack = TestStack.start(TestStack.localConfig(data, b -> b), ThinClientFactory::new);
    }

    @AfterAll
    void stop() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    private void assertHonestPushApplies(String clientId) {
        Http.Answer ok = stack.http.push(Push.to("notes-app").client(clientId).put("notes", "honest-" + clientId,
                note("honest")).json());
        assertEquals(200, ok.status(), ok.toString());
        assertEquals("applied", ok.results().get(0).get("status").asText(), ok.toString());
    }

    private static void assertErrorShape(Http.Answer a) {
        JsonNode b = a.json();
        assertEquals(1, b.size(), a.toString());
        assertTrue(b.path("error").path("code").isTextual() && b.path("error").path("message").isTextual(), a.toString());
    }

    @Test
    @Order(1)
    void aHugeExponentIsAnswered400AtOnceAndTheServerGoesOn() {
        stack.http.push("{}"); // warm the path: the first answer pays for class loading
        String body = "{\"db\":\"notes-app\",\"clientId\":\"c-exp\",\"sentAt\":1e999999999,\"changes\":[{\"seq\":1}]}";
        assertTrue(body.length() <= 90, "about 80 bytes");
        long t0 = System.nanoTime();
        Http.Answer a = stack.http.push(body);
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(400, a.status(), a.toString());
        assertEquals("bad_request", a.errorCode());
        assertTrue(a.json().at("/error/message").asText().startsWith("/sentAt: "), a.toString());
        assertTrue(ms < 1000, "answered in " + ms + " ms");
        assertHonestPushApplies("c-after-exp");
    }

    @Test
    @Order(2)
    void aTsFarAheadOfItsSentAtDoesNotWinLww() throws Exception {
        long now = System.currentTimeMillis();
        long eightyYears = 80L * 365 * 24 * 3600 * 1000;
        ObjectNode cheat = Push.to("notes-app").client("c-future").put("notes", "lww-future", note("from the future")).node();
        cheat.put("sentAt", now);
        ((ObjectNode) cheat.at("/changes/0")).put("ts", now + eightyYears);
        Http.Answer a = stack.http.push(cheat.toString());
        assertEquals(200, a.status(), a.toString());
        assertEquals("applied", a.results().get(0).get("status").asText(), a.toString());

        Thread.sleep(50);
        long later = System.currentTimeMillis();
        ObjectNode honest = Push.to("notes-app").client("c-present").put("notes", "lww-future", note("later and honest")).node();
        honest.put("sentAt", later);
        ((ObjectNode) honest.at("/changes/0")).put("ts", later);
        Http.Answer b = stack.http.push(honest.toString());
        assertEquals(200, b.status(), b.toString());
        assertEquals("applied", b.results().get(0).get("status").asText(),
                "the later honest write wins the lww conflict: " + b);

        JsonNode record = Json.MAPPER.readTree(stack.record(CACHE, "\"lww-future\""));
        assertEquals("later and honest", record.at("/value/title").asText(), record.toString());
        assertEquals("c-present", record.get("clientId").asText());
        assertEquals(2, record.get("version").asInt());
    }

    @Test
    @Order(3)
    void aLoneSurrogateKeyIsRefusedAndNeverMergedWithQuestionMark() throws Exception {
        String lone = "{\"db\":\"notes-app\",\"clientId\":\"c-lone\",\"sentAt\":1763740800123,\"changes\":[{\"seq\":1,"
                + "\"store\":\"notes\",\"key\":\"\\ud800\",\"op\":\"put\",\"value\":{\"title\":\"lone\"},"
                + "\"baseVersion\":0,\"ts\":1763740790000}]}";
        Http.Answer a = stack.http.push(lone);
        assertEquals(400, a.status(), a.toString());
        assertEquals("bad_request", a.errorCode());
        assertTrue(a.json().at("/error/message").asText().startsWith("/changes/0/key: "), a.toString());

        Http.Answer q = stack.http.push(Push.to("notes-app").client("c-question").put("notes", "?", note("question")).json());
        assertEquals(200, q.status(), q.toString());
        assertEquals("applied", q.results().get(0).get("status").asText(), q.toString());
        assertEquals(1, q.results().get(0).get("version").asInt(), "\"?\" is a record of its own: " + q);
        JsonNode record = Json.MAPPER.readTree(stack.record(CACHE, "\"?\""));
        assertEquals("question", record.at("/value/title").asText());
        assertEquals("c-question", record.get("clientId").asText());
    }

    @Test
    @Order(4)
    void pushesToDbsThatAreNotConfiguredLeaveNoTrace() throws Exception {
        for (int i = 0; i < 50; i++) {
            Http.Answer a = stack.http.push(Push.to("ghost-" + i).client("c-ghost").put("notes", "g", note("g")).json());
            assertEquals(400, a.status(), a.toString());
            assertEquals("bad_request", a.errorCode());
            String m = a.json().at("/error/message").asText();
            assertTrue(m.startsWith("/db: \"ghost-" + i + "\" is not configured on this server"), m);
            assertTrue(!m.contains("notes-app"), "lists no configured db: " + m);
        }
        assertHonestPushApplies("c-after-ghosts");
        Thread.sleep(1500);
        try (Stream<Path> s = Files.walk(data)) {
            List<Path> ghostDirs = s.filter(p -> p.getFileName().toString().startsWith("db=ghost-")).toList();
            assertEquals(List.of(), ghostDirs, "no partition directory for an unconfigured db");
        }
        assertEquals(Set.of(), matches(Pattern.compile("ghost-\\d+"), igniteKeys()), "nothing in Ignite");
        assertEquals(Set.of(), matches(Pattern.compile("ghost-\\d+"), fileText()), "nothing in the files or Flume's output");
    }

    @Test
    @Order(5)
    void mutatedPushesAreAnsweredAsDocumentedAndNothingRefusedReachesASink() throws Exception {
        int cases = Integer.getInteger("fuzz.httpCases", 2000);
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        Set<String> refused = ConcurrentHashMap.newKeySet();
        List<String> failures = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<String>> out = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                out.add(pool.submit(() -> {
                    Random rnd = new Random(seed + thread);
                    for (int i = thread; i < cases; i += 4) {
                        String clientId = "hz-" + i;
                        byte[] body = mutate(rnd, clientId);
                        Http.Answer a = stack.http.post("/v1/sync", "application/json", HttpRequest.BodyPublishers.ofByteArray(body));
                        String problem = answerProblem(a, body);
                        if (problem != null) {
                            return "case " + i + " (seed " + seed + "): " + problem + "\nbody: "
                                    + new String(body, 0, Math.min(body.length, 500), StandardCharsets.UTF_8);
                        }
                        if (a.status() >= 400) {
                            refused.add(clientId);
                        }
                    }
                    return null;
                }));
            }
            for (Future<String> f : out) {
                String p = f.get();
                if (p != null) {
                    failures.add(p);
                }
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(List.of(), failures, "rerun with -Dfuzz.seed=" + seed);
        assertTrue(refused.size() > cases / 3, "most mutations are refused: " + refused.size());

        assertEquals(200, stack.http.get("/health").status());
        assertHonestPushApplies("c-after-fuzz");
        Thread.sleep(6000); // the file sink commits a part within files.rollIntervalMs (5 s here)

        Pattern id = Pattern.compile("hz-\\d+");
        Set<String> inIgnite = matches(id, igniteKeys());
        inIgnite.retainAll(refused);
        assertEquals(Set.of(), inIgnite, "refused clients have no mark, outcome or rejected entry in Ignite");
        Set<String> inFiles = matches(id, fileText());
        inFiles.retainAll(refused);
        assertEquals(Set.of(), inFiles, "refused clients have no line in the files or Flume's output");
    }

    /** Null if the answer is one PROTOCOL.md documents for this body, else what is wrong. */
    private static String answerProblem(Http.Answer a, byte[] body) {
        try {
            if (a.status() == 200) {
                JsonNode req = Json.MAPPER.readTree(body);
                JsonNode results = a.results();
                if (!results.isArray() || results.size() != req.get("changes").size()) {
                    return "200 with " + results.size() + " results for " + req.get("changes").size() + " changes: " + a;
                }
                for (int i = 0; i < results.size(); i++) {
                    if (results.get(i).get("seq").asLong() != req.get("changes").get(i).get("seq").asLong()
                            || !STATUSES.contains(results.get(i).path("status").asText())) {
                        return "200 with a bad result " + results.get(i);
                    }
                }
                return null;
            }
            if (a.status() != 400 && a.status() != 413 && a.status() != 503) {
                return "answered " + a;
            }
            JsonNode b = a.json();
            String code = b.path("error").path("code").asText();
            if (b.size() != 1 || !b.path("error").path("message").isTextual()
                    || !Set.of("bad_json", "bad_request", "too_large", "unavailable").contains(code)) {
                return "error not in the documented shape: " + a;
            }
            return null;
        } catch (RuntimeException | IOException e) {
            return e + " for " + a;
        }
    }

    // ------------------------------------------------------------------ where traces would be

    private Set<String> igniteKeys() {
        Set<String> keys = new HashSet<>();
        for (String cache : List.of(SyncCaches.MARKS_CACHE, stack.config.ignite().outcomesCache(),
                SyncCaches.PUSH_RESULTS_CACHE, SyncCaches.REJECTED_CACHE, SyncCaches.REJECTED_INDEX_CACHE)) {
            if (!stack.reader().cacheNames().contains(cache)) {
                continue;
            }
            for (Cache.Entry<Object, Object> e : stack.reader().cache(cache).query(new ScanQuery<>()).getAll()) {
                keys.add(String.valueOf(e.getKey()));
            }
        }
        return keys;
    }

    /**
     * Every file under the data dir but Ignite's own: the files trees and the Flume agent's output.
     * A file can go between the listing and its read (the file sink's health check writes and
     * deletes a .idbsync-health-* file every second; a part is renamed when it is committed): then
     * the whole tree is listed and read again, so that a renamed part is not missed.
     */
    private List<String> fileText() throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                return fileTextOnce();
            } catch (NoSuchFileException | UncheckedIOException e) {
                if (attempt == 5 || e instanceof UncheckedIOException u && !(u.getCause() instanceof NoSuchFileException)) {
                    throw e;
                }
            }
        }
    }

    private List<String> fileTextOnce() throws IOException {
        List<String> out = new ArrayList<>();
        Path ignite = data.resolve("ignite");
        try (Stream<Path> s = Files.walk(data)) {
            for (Path p : s.filter(Files::isRegularFile).filter(p -> !p.startsWith(ignite)).toList()) {
                out.add(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1));
            }
        }
        return out;
    }

    private static Set<String> matches(Pattern p, Iterable<String> texts) {
        Set<String> found = new HashSet<>();
        for (String t : texts) {
            Matcher m = p.matcher(t);
            while (m.find()) {
                found.add(m.group());
            }
        }
        return found;
    }

    // ------------------------------------------------------------------ a small generator

    private static final String[] HOSTILE = {
        "1e999999999", "-1e-999999999", "0e-999999999", "1e99999999999", "1.8e308", "1e-401", "4.9e-324",
        "9007199254740992", "9223372036854775808", "-1", "0", "1.5", "8640000000000001",
        "1" + "0".repeat(400), "1" + "2".repeat(1200), "\"\\ud800\"", "\"\\udc00x\"", "\"?\"", "\"\\u0000\\u001f\"",
        "\"\"", "true", "null", "[]", "{}", "\"ghost-db\"", "\"delete\"", "[\"a\",1e999999999]",
        "{\"title\":\"\\ud800\"}", "{\"title\":\"t\",\"n\":-1e999999999}", "[".repeat(1001) + "]".repeat(1001)
    };

    static byte[] mutate(Random rnd, String clientId) {
        long sentAt = System.currentTimeMillis();
        Push p = Push.to("notes-app").client(clientId);
        int n = 1 + rnd.nextInt(3);
        for (int i = 0; i < n; i++) {
            if (rnd.nextBoolean()) {
                p.put("notes", "fz-" + rnd.nextInt(50), note("t" + rnd.nextInt(100)));
            } else {
                p.delete("notes", "fz-" + rnd.nextInt(50));
            }
        }
        ObjectNode root = p.node();
        root.put("sentAt", sentAt);
        if (rnd.nextInt(5) == 0) {
            return root.toString().getBytes(StandardCharsets.UTF_8); // some honest ones among them
        }
        if (rnd.nextInt(3) > 0) { // swap a node for a hostile token; the clientId stays
            List<JsonNode[]> slots = new ArrayList<>();
            collect(root, slots);
            JsonNode[] slot = slots.get(rnd.nextInt(slots.size()));
            String raw = HOSTILE[rnd.nextInt(HOSTILE.length)];
            TextNode mark = TextNode.valueOf("@@raw@@");
            if (slot[0].isObject()) {
                ObjectNode o = (ObjectNode) slot[0];
                o.properties().stream().filter(e -> e.getValue() == slot[1]).map(java.util.Map.Entry::getKey)
                        .findFirst().ifPresent(name -> o.set(name, mark));
            } else {
                ArrayNode arr = (ArrayNode) slot[0];
                for (int i = 0; i < arr.size(); i++) {
                    if (arr.get(i) == slot[1]) {
                        arr.set(i, mark);
                        break;
                    }
                }
            }
            return root.toString().replace("\"@@raw@@\"", raw).getBytes(StandardCharsets.UTF_8);
        }
        String text = root.toString();
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        int idStart = text.indexOf(clientId); // ASCII before it: char index = byte index
        int at = rnd.nextInt(b.length);
        while (at >= idStart && at <= idStart + clientId.length()) {
            at = rnd.nextInt(b.length); // a flip there could turn it into another case's clientId
        }
        switch (rnd.nextInt(3)) {
            case 0 -> b = java.util.Arrays.copyOf(b, at);
            case 1 -> b[at] = (byte) rnd.nextInt(256);
            default -> {
                byte[] c = new byte[b.length + 3];
                System.arraycopy(b, 0, c, 0, at);
                c[at] = (byte) 0xED;
                c[at + 1] = (byte) 0xA0;
                c[at + 2] = (byte) 0x80;
                System.arraycopy(b, at, c, at + 3, b.length - at);
                b = c;
            }
        }
        return b;
    }

    private static void collect(JsonNode root, List<JsonNode[]> out) {
        java.util.ArrayDeque<JsonNode> todo = new java.util.ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            JsonNode parent = todo.pop();
            for (JsonNode child : parent) {
                if (!(parent == root && child.isTextual() && child.asText().startsWith("hz-"))) {
                    out.add(new JsonNode[] {parent, child});
                }
                if (child.isContainerNode()) {
                    todo.push(child);
                }
            }
        }
    }
}
