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

/**
 * Checks a push body against PROTOCOL.md's structural rules and turns it into a
 * {@link PushRequest}. Every refusal is a {@link ProtocolException} whose message starts with
 * the JSON pointer of the first offending field. Per-change limits (value size, nesting, key
 * size, schema) are not checked here: they make a single change {@code rejected}, not the
 * whole request, and are the validate bolt's job.
 */
public final class EnvelopeParser {
    private final int maxChanges;

    public EnvelopeParser(int maxChanges) {
        this.maxChanges = maxChanges;
    }

    public PushRequest parse(byte[] body, long receivedAt) {
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(body);
        } catch (StreamConstraintsException e) {
            throw new ProtocolException(400, "bad_json", "the body nests deeper than "
                    + Json.MAX_PARSE_DEPTH + " levels; values may nest at most as deep as the per-change limit");
        } catch (JsonProcessingException e) {
            throw new ProtocolException(400, "bad_json", "the body is not valid JSON: " + e.getOriginalMessage()
                    + location(e));
        } catch (IOException e) {
            throw new ProtocolException(400, "bad_json", "the body could not be read as JSON: " + e.getMessage());
        }
        if (root == null || root.isMissingNode()) {
            throw new ProtocolException(400, "bad_json", "the body is empty; send a JSON object");
        }
        if (!root.isObject()) {
            throw new ProtocolException(400, "bad_request", "the body must be a JSON object, not "
                    + root.getNodeType().toString().toLowerCase());
        }
        String db = name(root, "db", "/db");
        String clientId = text(root, "clientId", "/clientId");
        if (!Names.isClientId(clientId)) {
            throw ProtocolException.badRequest("/clientId", "must be 1-128 characters of [A-Za-z0-9._:-]");
        }
        long sentAt = integer(root, "sentAt", "/sentAt");
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
            long seq = integer(c, "seq", p + "/seq");
            if (seq < 1) {
                throw ProtocolException.badRequest(p + "/seq", "must be a positive integer, got " + seq);
            }
            if (i == 0) {
                firstSeq = seq;
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
                throw ProtocolException.badRequest(p + "/op", "must be \"put\" or \"delete\", got \"" + opText + "\"");
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
            long baseVersion = integer(c, "baseVersion", p + "/baseVersion");
            if (baseVersion < 0) {
                throw ProtocolException.badRequest(p + "/baseVersion", "must be 0 or more, got " + baseVersion);
            }
            long ts = integer(c, "ts", p + "/ts");
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
            throw ProtocolException.badRequest(pointer, "must be 1-128 characters of [A-Za-z0-9._-] (no '/' or '='), got \""
                    + (s.length() > 40 ? s.substring(0, 40) + "..." : s) + "\"");
        }
        return s;
    }

    private static long integer(JsonNode parent, String field, String pointer) {
        JsonNode n = parent.get(field);
        if (n == null || n.isNull()) {
            throw ProtocolException.badRequest(pointer, "is required");
        }
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw ProtocolException.badRequest(pointer, "must be an integer, not " + describe(n));
        }
        return n.longValue();
    }

    private static String describe(JsonNode n) {
        if (n.isNumber()) {
            return n.isIntegralNumber() ? n + " (out of range)" : "the fractional number " + n.decimalValue().toPlainString();
        }
        return n.getNodeType().toString().toLowerCase() + " " + abbreviate(n.toString());
    }

    private static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
