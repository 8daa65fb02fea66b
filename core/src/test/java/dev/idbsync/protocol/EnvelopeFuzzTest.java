package dev.idbsync.protocol;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * Tens of thousands of mutated pushes, made from valid ones by a seeded generator: each must
 * parse into a {@link PushRequest} that keeps every input bound, or be refused with a
 * {@link ProtocolException} of a documented status and code; nothing else, and never slowly.
 * A failure prints its seed; {@code -Dfuzz.seed=N} replays that run, {@code -Dfuzz.cases=N}
 * changes its length.
 */
class EnvelopeFuzzTest {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;
    private static final long RECEIVED_AT = 1_763_740_801_000L;
    private static final String RAW = "@@raw@@";
    /** Generous: catches a blowup (expanding 1e999999999 takes minutes and gigabytes), not slowness. */
    private static final long MAX_CASE_NANOS = Duration.ofSeconds(2).toNanos();
    private static final Set<String> CODES = Set.of("bad_json", "bad_request", "too_large");

    /** Raw JSON texts swapped in for a node. */
    private static final String[] HOSTILE = {
        "1e999999999", "-1e999999999", "1e-999999999", "-1e-999999999", "0e-999999999", "0e999999999",
        "1E+400", "1e308", "1.8e308", "-1.7976931348623157e308", "4.9e-324", "1e-400", "1e-401",
        "9007199254740991", "9007199254740992", "-9007199254740991", "9223372036854775807",
        "9223372036854775808", "-9223372036854775809", "8640000000000000", "8640000000000001",
        "0", "-0", "-1", "1.5", "1.0", "1e3", "0.1", "123456789012345678901234567890",
        "1" + "0".repeat(400), "0." + "3".repeat(999), "1" + "2".repeat(1200), "1e99999999999999",
        "\"\\ud800\"", "\"\\udc00\"", "\"a\\ud83d\"", "\"\\ude00\\ud83d\"", "\"\\ud83d\\ude00\"", "\"?\"",
        "\"\\u0000\\u0001\\u001f\"", "\"\\b\\f\\n\\r\\t\"", "\"\"", "\"" + "x".repeat(300) + "\"",
        "true", "false", "null", "[]", "{}", "[[[[[]]]]]", "{\"a\":{\"b\":[1,{\"c\":\"d\"}]}}",
        "\"notes-app\"", "\"notes\"", "\"put\"", "\"delete\"", "\"other-db\"", "[\"a\",1e999999999]",
        "{\"title\":\"t\",\"n\":1e999999999}", "{\"title\":\"\\ud800\"}", "[\"a\",[\"\\udfff\"]]",
        "[" .repeat(999) + "]".repeat(999), "[".repeat(1001) + "]".repeat(1001),
        "{\"a\":".repeat(600) + "1" + "}".repeat(600)
    };

    @Test
    void mutatedPushesParseWithinBoundsOrAreRefusedAsDocumented() {
        long seed = Long.getLong("fuzz.seed", System.nanoTime());
        int cases = Integer.getInteger("fuzz.cases", 20_000);
        EnvelopeParser parser = new EnvelopeParser(50, db -> !db.startsWith("other"));
        Random rnd = new Random(seed);
        Assertions.assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            for (int i = 0; i < cases; i++) {
                byte[] body = mutate(rnd);
                long t0 = System.nanoTime();
                try {
                    PushRequest req = parser.parse(body, RECEIVED_AT);
                    String problem = invariantProblem(req);
                    if (problem != null) {
                        fail(report(seed, i, body, "parsed but " + problem));
                    }
                } catch (ProtocolException e) {
                    String problem = refusalProblem(e);
                    if (problem != null) {
                        fail(report(seed, i, body, problem));
                    }
                } catch (Throwable t) {
                    fail(report(seed, i, body, "threw " + t), t);
                }
                long took = System.nanoTime() - t0;
                if (took > MAX_CASE_NANOS) {
                    fail(report(seed, i, body, "took " + took / 1_000_000 + " ms"));
                }
            }
        }, () -> "fuzz run did not finish in 120 s; rerun with -Dfuzz.seed=" + seed);
        System.out.println("EnvelopeFuzzTest: " + cases + " cases passed, seed " + seed);
    }

    private static String report(long seed, int i, byte[] body, String what) {
        String shown = body.length > 600 ? new String(body, 0, 600, StandardCharsets.UTF_8) + "..."
                : new String(body, StandardCharsets.UTF_8);
        return "fuzz case " + i + " " + what + "; rerun with -Dfuzz.seed=" + seed + "\nbody: " + shown
                + "\nbase64: " + (body.length > 4000 ? "(long)" : Base64.getEncoder().encodeToString(body));
    }

    // ------------------------------------------------------------------ checks

    private static String refusalProblem(ProtocolException e) {
        if (!((e.httpStatus() == 400 && !e.code().equals("too_large")) || (e.httpStatus() == 413 && e.code().equals("too_large")))) {
            return "refused with an undocumented status/code " + e.httpStatus() + " " + e.code();
        }
        if (!CODES.contains(e.code())) {
            return "refused with an undocumented code " + e.code();
        }
        String m = e.getMessage();
        if (m == null || m.isBlank() || m.length() > 1000) {
            return "refused with an empty or overlong message (" + (m == null ? 0 : m.length()) + " chars)";
        }
        if (BodyBounds.loneSurrogate(m) >= 0) {
            return "refused with a message holding a lone surrogate: " + m;
        }
        if (e.code().equals("bad_request") && !(m.startsWith("/") || m.startsWith("the body must be"))) {
            return "bad_request message does not start with a JSON pointer: " + m;
        }
        try {
            JsonNode b = Json.MAPPER.readTree(e.toJson());
            if (!b.path("error").path("code").asText().equals(e.code()) || !b.path("error").path("message").isTextual()) {
                return "error body has the wrong shape: " + e.toJson();
            }
        } catch (Exception x) {
            return "error body is not JSON: " + x;
        }
        return null;
    }

    private static String invariantProblem(PushRequest req) {
        if (req.changes().isEmpty() || req.changes().size() > 50) {
            return "has " + req.changes().size() + " changes";
        }
        if (req.sentAt() < 0 || req.sentAt() > EnvelopeParser.MAX_TIME) {
            return "sentAt " + req.sentAt() + " is out of the window";
        }
        if (req.db().startsWith("other")) {
            return "an unconfigured db got through: " + req.db();
        }
        long first = req.changes().get(0).seq();
        for (int i = 0; i < req.changes().size(); i++) {
            Change c = req.changes().get(i);
            if (c.seq() != first + i || c.seq() < 1 || c.seq() > EnvelopeParser.MAX_SEQ) {
                return "seq " + c.seq() + " at " + i + " (first " + first + ")";
            }
            if (c.baseVersion() < 0 || c.baseVersion() > EnvelopeParser.MAX_SEQ) {
                return "baseVersion " + c.baseVersion();
            }
            if (c.ts() < 0 || c.ts() > EnvelopeParser.MAX_TIME) {
                return "ts " + c.ts();
            }
            if (c.correctedTs() > c.receivedAt()) {
                return "correctedTs " + c.correctedTs() + " after receivedAt";
            }
            String bad = treeProblem(c.key());
            if (bad == null && c.value() != null) {
                bad = treeProblem(c.value());
            }
            if (bad == null && c.fields() != null) {
                for (String f : c.fields()) {
                    if (BodyBounds.loneSurrogate(f) >= 0) {
                        bad = "a field with a lone surrogate";
                    }
                }
            }
            if (bad == null && BodyBounds.loneSurrogate(c.keyString()) >= 0) {
                bad = "a canonical key with a lone surrogate";
            }
            if (bad != null) {
                return "change " + i + " holds " + bad;
            }
        }
        return null;
    }

    /** A number out of bounds or a string/name with a lone surrogate anywhere in the tree, or null. */
    private static String treeProblem(JsonNode root) {
        ArrayDeque<JsonNode> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            JsonNode n = todo.pop();
            if (n.isTextual() && BodyBounds.loneSurrogate(n.textValue()) >= 0) {
                return "a string with a lone surrogate";
            }
            if (n.isNumber() && !Double.isFinite(n.doubleValue())) {
                return "a number that is not a finite double";
            }
            if (n.isBigDecimal() && (long) n.decimalValue().precision() - n.decimalValue().scale() - 1 < BodyBounds.MIN_EXPONENT) {
                return "a number with an exponent below " + BodyBounds.MIN_EXPONENT;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (BodyBounds.loneSurrogate(e.getKey()) >= 0) {
                    return "a field name with a lone surrogate";
                }
                todo.push(e.getValue());
            }
            if (n.isArray()) {
                n.forEach(todo::push);
            }
        }
        return null;
    }

    // ------------------------------------------------------------------ generator

    static ObjectNode validPush(Random rnd) {
        ObjectNode r = F.objectNode();
        r.put("db", "notes-app");
        r.put("clientId", "fuzz-" + rnd.nextInt(1000));
        long sentAt = 1_763_740_800_000L + rnd.nextInt(1_000_000);
        r.put("sentAt", sentAt);
        ArrayNode changes = r.putArray("changes");
        long seq = 1 + rnd.nextInt(100);
        int n = 1 + rnd.nextInt(4);
        for (int i = 0; i < n; i++) {
            ObjectNode c = changes.addObject();
            c.put("seq", seq + i);
            c.put("store", "notes");
            switch (rnd.nextInt(3)) {
                case 0 -> c.put("key", "n-" + rnd.nextInt(100));
                case 1 -> c.put("key", rnd.nextInt(100) / 4.0);
                default -> c.putArray("key").add("2026").add(rnd.nextInt(12));
            }
            if (rnd.nextBoolean()) {
                c.put("op", "put");
                ObjectNode v = c.putObject("value");
                v.put("title", "t" + rnd.nextInt(1000));
                v.put("done", rnd.nextBoolean());
                v.putObject("meta").put("n", rnd.nextDouble()).putArray("tags").add("a").add(1);
                if (rnd.nextBoolean()) {
                    c.putArray("fields").add("title");
                }
            } else {
                c.put("op", "delete");
            }
            c.put("baseVersion", rnd.nextInt(5));
            c.put("ts", sentAt - rnd.nextInt(100_000));
        }
        return r;
    }

    /** One mutated push body: a valid base with one to three mutations, tree- or byte-level. */
    static byte[] mutate(Random rnd) {
        ObjectNode push = validPush(rnd);
        int treeMutations = rnd.nextInt(3);
        List<String> raws = new ArrayList<>();
        for (int m = 0; m < treeMutations; m++) {
            List<JsonNode[]> slots = new ArrayList<>(); // {parent, node} pairs
            collect(push, slots);
            JsonNode[] slot = slots.get(rnd.nextInt(slots.size()));
            replaceOrRemove(rnd, slot[0], slot[1], raws);
        }
        String text = push.toString();
        for (int k = 0; k < raws.size(); k++) {
            text = text.replace("\"" + RAW + k + "\"", raws.get(k));
        }
        byte[] body = text.getBytes(StandardCharsets.UTF_8);
        int byteMutations = treeMutations == 0 ? 1 + rnd.nextInt(2) : rnd.nextInt(4) == 0 ? 1 : 0;
        for (int m = 0; m < byteMutations; m++) {
            body = byteMutation(rnd, body);
        }
        return body;
    }

    private static void collect(JsonNode parent, List<JsonNode[]> out) {
        ArrayDeque<JsonNode> todo = new ArrayDeque<>();
        todo.push(parent);
        while (!todo.isEmpty()) {
            JsonNode p = todo.pop();
            for (JsonNode child : p) {
                out.add(new JsonNode[] {p, child});
                if (child.isContainerNode()) {
                    todo.push(child);
                }
            }
        }
    }

    private static void replaceOrRemove(Random rnd, JsonNode parent, JsonNode node, List<String> raws) {
        JsonNode replacement;
        int kind = rnd.nextInt(10);
        if (kind < 6) {
            replacement = TextNode.valueOf(RAW + raws.size());
            raws.add(HOSTILE[rnd.nextInt(HOSTILE.length)]);
        } else if (kind < 8) {
            replacement = swapType(rnd, node);
        } else {
            replacement = null; // remove
        }
        if (parent.isObject()) {
            ObjectNode o = (ObjectNode) parent;
            String name = null;
            for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue() == node) {
                    name = e.getKey();
                }
            }
            if (name == null) {
                return;
            }
            if (replacement == null) {
                o.remove(name);
            } else {
                o.set(name, replacement);
            }
        } else {
            ArrayNode a = (ArrayNode) parent;
            for (int i = 0; i < a.size(); i++) {
                if (a.get(i) == node) {
                    if (replacement == null) {
                        a.remove(i);
                    } else {
                        a.set(i, replacement);
                    }
                    return;
                }
            }
        }
    }

    private static JsonNode swapType(Random rnd, JsonNode node) {
        return switch (rnd.nextInt(6)) {
            case 0 -> TextNode.valueOf(node.asText());
            case 1 -> F.numberNode(node.asLong() + rnd.nextInt(3) - 1);
            case 2 -> F.booleanNode(rnd.nextBoolean());
            case 3 -> F.arrayNode().add(node.deepCopy());
            case 4 -> F.objectNode().set("x", node.deepCopy());
            default -> F.nullNode();
        };
    }

    private static byte[] byteMutation(Random rnd, byte[] body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(body.length + 16);
        int at = body.length == 0 ? 0 : rnd.nextInt(body.length);
        switch (rnd.nextInt(7)) {
            case 0 -> { // truncate
                return java.util.Arrays.copyOf(body, at);
            }
            case 1 -> { // flip a byte
                byte[] b = body.clone();
                if (b.length > 0) {
                    b[at] = (byte) rnd.nextInt(256);
                }
                return b;
            }
            case 2 -> { // raw CESU-8 lone surrogate (or a pair of them) inside the text
                out.write(body, 0, at);
                out.writeBytes(rnd.nextBoolean() ? new byte[] {(byte) 0xED, (byte) 0xA0, (byte) 0x80}
                        : new byte[] {(byte) 0xED, (byte) 0xBF, (byte) 0xBF});
                out.write(body, at, body.length - at);
                return out.toByteArray();
            }
            case 3 -> { // a raw control char
                byte[] b = body.clone();
                if (b.length > 0) {
                    b[at] = (byte) rnd.nextInt(32);
                }
                return b;
            }
            case 4 -> { // duplicate a key at the root
                String s = new String(body, StandardCharsets.UTF_8);
                return s.replaceFirst("\\{", "{\"db\":\"notes-app\",").getBytes(StandardCharsets.UTF_8);
            }
            case 5 -> { // a lone surrogate escape in place of a letter inside a string
                String s = new String(body, StandardCharsets.UTF_8);
                int q = s.indexOf("\"n-");
                return (q < 0 ? s : s.substring(0, q + 1) + "\\ud800" + s.substring(q + 2)).getBytes(StandardCharsets.UTF_8);
            }
            default -> { // insert a hostile token
                out.write(body, 0, at);
                out.writeBytes(HOSTILE[rnd.nextInt(HOSTILE.length)].getBytes(StandardCharsets.UTF_8));
                out.write(body, at, body.length - at);
                return out.toByteArray();
            }
        }
    }
}
