package dev.idbsync.protocol;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Predicate;

/**
 * Checks a push body against PROTOCOL.md's structural rules and turns it into a
 * {@link PushRequest}. Every refusal is a {@link ProtocolException} whose message starts with
 * the JSON pointer of the first offending field. Per-change limits (value size, nesting, key
 * size, schema) are not checked here: they make a single change {@code rejected}, not the
 * whole request, and are the validate bolt's job.
 *
 * <p>Input bounds (docs/protocol.md, "Input bounds"): the parser's own limits ({@link Json}),
 * then every number and string of the body ({@link BodyBounds}: finite, sane exponent, no lone
 * surrogate), then the envelope's integers against their ranges ({@link #MAX_SEQ},
 * {@link #MAX_TIME}), and the db against the server's config, all before anything is sequenced,
 * stored or written.
 */
public final class EnvelopeParser {
    /** Largest seq and baseVersion: 2^53-1, JavaScript's Number.MAX_SAFE_INTEGER, so a browser can count it. */
    public static final long MAX_SEQ = (1L << 53) - 1;
    /** Largest {@code sentAt} and {@code ts}: 8.64e15 ms, the end of a JavaScript Date's range (year 275760). */
    public static final long MAX_TIME = 8_640_000_000_000_000L;

    private final int maxChanges;
    private final Predicate<String> dbConfigured;

    /** A parser that takes every db name (tests, tools without a config). */
    public EnvelopeParser(int maxChanges) {
        this(maxChanges, db -> true);
    }

    /**
     * @param dbConfigured whether a db is configured on this server; a push to any other db is a
     *                     400 at {@code /db}, so it never enters the topology
     */
    public EnvelopeParser(int maxChanges, Predicate<String> dbConfigured) {
        this.maxChanges = maxChanges;
        this.dbConfigured = dbConfigured;
    }

    public PushRequest parse(byte[] body, long receivedAt) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (StreamConstraintsException e) {
            throw new ProtocolException(400, "bad_json", constraintMessage(e));
        } catch (JsonProcessingException e) {
            throw new ProtocolException(400, "bad_json", "the body is not valid JSON: "
                    + jacksonMessage(e.getOriginalMessage()) + location(e));
        } catch (NumberFormatException | ArithmeticException e) {
            // Jackson lets these through for a number whose exponent does not fit in an int (1e99999999999)
            throw new ProtocolException(400, "bad_json", "a number in the body could not be read ("
                    + jacksonMessage(e.getMessage()) + "); send finite numbers whose exponent is within "
                    + BodyBounds.MIN_EXPONENT + ".." + BodyBounds.MAX_EXPONENT);
        } catch (IOException e) {
            throw new ProtocolException(400, "bad_json", "the body could not be read as JSON: " + jacksonMessage(e.getMessage()));
        }
        if (root == null || root.isMissingNode()) {
            throw new ProtocolException(400, "bad_json", "the body is empty; send a JSON object");
        }
        if (!root.isObject()) {
            throw new ProtocolException(400, "bad_request", "the body must be a JSON object, not "
                    + root.getNodeType().toString().toLowerCase());
        }
        BodyBounds.check(root);
        String db = name(root, "db", "/db");
        if (!dbConfigured.test(db)) {
            // says nothing of which dbs are configured
            throw ProtocolException.badRequest("/db", "\"" + db + "\" is not configured on this server;"
                    + " push to a db that the server's config names");
        }
        String clientId = text(root, "clientId", "/clientId");
        if (!Names.isClientId(clientId)) {
            throw ProtocolException.badRequest("/clientId", "must be 1-128 characters of [A-Za-z0-9._:-]");
        }
        long sentAt = time(root, "sentAt", "/sentAt");
        JsonNode changes = root.get("changes");
        if (changes == null || changes.isNull()) {
            throw ProtocolException.badRequest("/changes", "is required (an array of 1 or more changes)");
        }
        if (!changes.isArray()) {
            throw ProtocolException.badRequest("/changes", "must be an array of changes");
        }
        if (changes.isEmpty()) {
            throw ProtocolException.badRequest("/changes", "must hold at least 1 change");
        }
        if (changes.size() > maxChanges) {
            throw new ProtocolException(413, "too_large", "/changes holds " + changes.size()
                    + " changes; the limit (http.maxChangesPerRequest) is " + maxChanges + " per request");
        }
        List<Change> out = new ArrayList<>(changes.size());
        long firstSeq = 0;
        for (int i = 0; i < changes.size(); i++) {
            String p = "/changes/" + i;
            JsonNode c = changes.get(i);
            if (!c.isObject()) {
                throw ProtocolException.badRequest(p, "must be a change object");
            }
            long seq = integer(c, "seq", p + "/seq", 1, MAX_SEQ,
                    "must be a positive integer of at most 9007199254740991 (2^53-1)");
            if (i == 0) {
                firstSeq = seq;
            } else if (firstSeq + i > MAX_SEQ) { // no overflow: firstSeq <= 2^53-1 and i < 2^31
                throw ProtocolException.badRequest(p + "/seq", "seqs must be consecutive and ascending within a"
                        + " request, and the one after " + (firstSeq + i - 1) + " would pass 9007199254740991 (2^53-1)");
            } else if (seq != firstSeq + i) {
                throw ProtocolException.badRequest(p + "/seq", "seqs must be consecutive and ascending within a"
                        + " request: expected " + (firstSeq + i) + ", got " + seq);
            }
            String store = name(c, "store", p + "/store");
            JsonNode key = c.get("key");
            String keyProblem = Keys.problem(key, p + "/key");
            if (keyProblem != null) {
                throw new ProtocolException(400, "bad_request", keyProblem);
            }
            String opText = text(c, "op", p + "/op");
            Op op = Op.fromWire(opText);
            if (op == null) {
                throw ProtocolException.badRequest(p + "/op", "must be \"put\" or \"delete\", got " + BodyBounds.quote(opText));
            }
            JsonNode value = c.get("value");
            ObjectNode objectValue = null;
            if (op == Op.PUT) {
                if (value == null || value.isNull()) {
                    throw ProtocolException.badRequest(p + "/value", "a put needs a value (a JSON object)");
                }
                if (!value.isObject()) {
                    throw ProtocolException.badRequest(p + "/value", "must be a JSON object, not "
                            + value.getNodeType().toString().toLowerCase());
                }
                objectValue = (ObjectNode) value;
            } else if (value != null && !value.isNull()) {
                throw ProtocolException.badRequest(p + "/value", "a delete carries no value (leave it out or send null)");
            }
            long baseVersion = integer(c, "baseVersion", p + "/baseVersion", 0, MAX_SEQ,
                    "must be 0 or more and at most 9007199254740991 (2^53-1): the version the edit was made on");
            long ts = time(c, "ts", p + "/ts");
            List<String> fields = null;
            JsonNode f = c.get("fields");
            if (f != null && !f.isNull() && op == Op.PUT) {
                if (!f.isArray()) {
                    throw ProtocolException.badRequest(p + "/fields", "must be an array of top-level field names");
                }
                List<String> names = new ArrayList<>(f.size());
                for (int j = 0; j < f.size(); j++) {
                    if (!f.get(j).isTextual()) {
                        throw ProtocolException.badRequest(p + "/fields/" + j, "must be a string");
                    }
                    names.add(f.get(j).asText());
                }
                fields = Collections.unmodifiableList(names);
            }
            out.add(new Change(db, clientId, seq, store, key, Keys.canonical(key), op, objectValue,
                    baseVersion, ts, fields, sentAt, receivedAt));
        }
        return new PushRequest(db, clientId, sentAt, receivedAt, Collections.unmodifiableList(out));
    }

    /** Jackson's words, which may quote the body: made printable and cut to a sane length. */
    private static String jacksonMessage(String m) {
        String s = BodyBounds.printable(m == null ? "" : m.length() > 300 ? m.substring(0, 300) + "..." : m);
        return s.length() > 400 ? s.substring(0, 400) + "..." : s;
    }

    private static String location(JacksonException e) {
        return e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column "
                + e.getLocation().getColumnNr() + ")";
    }

    private static String text(JsonNode parent, String field, String pointer) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            throw ProtocolException.badRequest(pointer, "is required");
        }
        if (!n.isTextual()) {
            throw ProtocolException.badRequest(pointer, "must be a string, not " + n.getNodeType().toString().toLowerCase());
        }
        return n.asText();
    }

    private static String name(JsonNode parent, String field, String pointer) {
        String s = text(parent, field, pointer);
        if (!Names.isName(s)) {
            throw ProtocolException.badRequest(pointer, "must be 1-128 characters of [A-Za-z0-9._-] (no '/' or '='), got "
                    + BodyBounds.quote(s));
        }
        return s;
    }

    private static long time(JsonNode parent, String field, String pointer) {
        return integer(parent, field, pointer, 0, MAX_TIME, "must be an integer from 0 to 8640000000000000"
                + " (epoch milliseconds within a JavaScript Date's range)");
    }

    /** An integer in min..max; {@code rule} says so (it starts the message for one out of range). */
    private static long integer(JsonNode parent, String field, String pointer, long min, long max, String rule) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            throw ProtocolException.badRequest(pointer, "is required");
        }
        if (!n.isIntegralNumber()) {
            throw ProtocolException.badRequest(pointer, "must be an integer, not " + describe(n));
        }
        if (!n.canConvertToLong() || n.longValue() < min || n.longValue() > max) {
            // a BigInteger here has at most Json.MAX_NUMBER_LENGTH digits; abbreviate() cuts it to 40
            throw ProtocolException.badRequest(pointer, rule + ", got " + abbreviate(n.bigIntegerValue().toString()));
        }
        return n.longValue();
    }

    /** A wrong-typed node for a message; never expands a number (it passed {@link BodyBounds} anyway). */
    private static String describe(JsonNode n) {
        if (n.isNumber()) {
            return "the number " + abbreviate(n.isBigDecimal() ? n.decimalValue().toString() : n.asText())
                    + " (it has a fraction or an exponent)";
        }
        return n.getNodeType().toString().toLowerCase() + " " + BodyBounds.quote(n.toString());
    }

    /** One honest message per kind of parser limit. */
    static String constraintMessage(StreamConstraintsException e) {
        String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
        if (m.startsWith("Document nesting depth")) {
            return "the body nests deeper than " + Json.MAX_PARSE_DEPTH + " levels" + location(e)
                    + "; values may nest at most as deep as the per-change limit";
        }
        if (m.startsWith("Number value length")) {
            return "a number in the body is longer than " + Json.MAX_NUMBER_LENGTH + " characters" + location(e)
                    + "; send numbers as doubles (at most 17 significant digits are kept anyway)";
        }
        if (m.startsWith("String value length")) {
            return "a string in the body is longer than " + Json.MAX_STRING_LENGTH + " chars" + location(e)
                    + "; send shorter strings";
        }
        if (m.startsWith("Name length")) {
            return "an object field name in the body is longer than " + Json.MAX_NAME_LENGTH + " chars" + location(e)
                    + "; send shorter field names";
        }
        return "the body breaks a parser limit" + location(e) + ": " + BodyBounds.quote(m);
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
