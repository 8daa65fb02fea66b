package dev.idbsync.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The bounds every number and string of a push body must keep, wherever it is (envelope, key,
 * value, fields), checked in one iterative walk of the parsed tree (its depth is already bounded
 * by {@link Json#MAX_PARSE_DEPTH}, the walk needs no stack for it):
 * <ul>
 * <li>a number must be a finite double (magnitude at most {@link Double#MAX_VALUE}) and its decimal
 * exponent (the power of ten of its first significant digit, as written for a zero) must be within
 * {@link #MIN_EXPONENT}..{@link #MAX_EXPONENT}; so nothing downstream ({@code toPlainString()},
 * BigDecimal arithmetic, a JSON schema's {@code multipleOf}) can expand {@code 1e999999999} into a
 * billion digits;</li>
 * <li>no string value and no field name may hold a lone (unpaired) UTF-16 surrogate: Ignite and
 * the files store strings as UTF-8, where every lone surrogate becomes the same {@code ?}, so
 * two keys that Storm routes apart would become one record.</li>
 * </ul>
 * A breach is a 400 {@code bad_request} naming the first offending node (in document order) by
 * JSON pointer.
 */
final class BodyBounds {
    /** Largest decimal exponent a number may be written with: Double.MAX_VALUE is 1.8e308. */
    static final int MAX_EXPONENT = 308;
    /** Smallest decimal exponent: below the smallest double (4.9e-324) with room for long spellings. */
    static final int MIN_EXPONENT = -400;

    private BodyBounds() {
    }

    private record Frame(Frame parent, String name, int index, JsonNode node) {
    }

    static void check(JsonNode root) {
        ArrayDeque<Frame> todo = new ArrayDeque<>();
        todo.push(new Frame(null, null, -1, root));
        List<Map.Entry<String, JsonNode>> fields = new ArrayList<>();
        while (!todo.isEmpty()) {
            Frame f = todo.pop();
            JsonNode n = f.node();
            if (n.isTextual()) {
                int at = loneSurrogate(n.textValue());
                if (at >= 0) {
                    throw ProtocolException.badRequest(pointer(f), "the string " + quote(n.textValue())
                            + " holds a lone UTF-16 surrogate at char " + at + "; send well-formed Unicode"
                            + " (a surrogate only as half of a pair)");
                }
            } else if (n.isNumber()) {
                String problem = numberProblem(n);
                if (problem != null) {
                    throw ProtocolException.badRequest(pointer(f), problem);
                }
            } else if (n.isObject()) {
                fields.clear();
                for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                    fields.add(it.next());
                }
                for (int i = fields.size() - 1; i >= 0; i--) {
                    Map.Entry<String, JsonNode> e = fields.get(i);
                    todo.push(new Frame(f, e.getKey(), -1, e.getValue()));
                }
                // names are checked here, in document order, before any child is looked at
                for (Map.Entry<String, JsonNode> e : fields) {
                    int at = loneSurrogate(e.getKey());
                    if (at >= 0) {
                        throw ProtocolException.badRequest(pointer(new Frame(f, e.getKey(), -1, e.getValue())),
                                "the field name " + quote(e.getKey()) + " holds a lone UTF-16 surrogate at char " + at
                                        + "; send well-formed Unicode (a surrogate only as half of a pair)");
                    }
                }
            } else if (n.isArray()) {
                for (int i = n.size() - 1; i >= 0; i--) {
                    todo.push(new Frame(f, null, i, n.get(i)));
                }
            }
        }
    }

    /** What is wrong with a number, or null; never expands it. */
    static String numberProblem(JsonNode n) {
        if (n.isBigDecimal()) {
            BigDecimal d = n.decimalValue();
            long exponent = (long) d.precision() - d.scale() - 1; // of the first digit; for 0, as written
            if (exponent > MAX_EXPONENT || (exponent >= MAX_EXPONENT - 1 && Double.isInfinite(d.doubleValue()))) {
                return "the number " + abbreviate(d.toString()) + " is beyond the largest finite double"
                        + " (about 1.8e308); send a finite number";
            }
            if (exponent < MIN_EXPONENT) {
                return "the number " + abbreviate(d.toString()) + " has a decimal exponent below " + MIN_EXPONENT
                        + " (far below the smallest double, 4.9e-324); send 0 or a number of at most " + MIN_EXPONENT;
            }
            return null;
        }
        if (n.isBigInteger()) {
            return Double.isInfinite(n.doubleValue()) ? "the integer " + abbreviate(n.bigIntegerValue().toString())
                    + " is beyond the largest finite double (about 1.8e308); send a finite number" : null;
        }
        if (n.isDouble() || n.isFloat()) {
            return Double.isFinite(n.doubleValue()) ? null : "the number " + n.doubleValue()
                    + " is not finite; send a finite number";
        }
        return null; // int, long, short: always in range
    }

    /** Index of the first lone surrogate in {@code s}, or -1. */
    static int loneSurrogate(String s) {
        for (int i = 0, len = s.length(); i < len; i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < len && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                } else {
                    return i;
                }
            } else if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    private static String pointer(Frame f) {
        ArrayDeque<String> parts = new ArrayDeque<>();
        for (Frame x = f; x.parent() != null; x = x.parent()) {
            parts.push(x.name() != null
                    ? abbreviate(printable(x.name().replace("~", "~0").replace("/", "~1")))
                    : Integer.toString(x.index()));
        }
        StringBuilder sb = new StringBuilder();
        for (String p : parts) {
            sb.append('/').append(p);
        }
        String s = sb.toString();
        // a 1000-deep pointer would make the message as long as the body; keep its ends
        return s.length() > 400 ? s.substring(0, 200) + "/.../" + s.substring(s.length() - 195) : s;
    }

    /** A string for a message: abbreviated, quoted, with surrogates and controls as \\u escapes. */
    static String quote(String s) {
        return "\"" + abbreviate(printable(s.length() > 100 ? s.substring(0, 100) : s)) + "\"";
    }

    /** Surrogates and control chars as \\uXXXX, so the message is always well-formed text. */
    static String printable(String s) {
        StringBuilder sb = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean escape = Character.isSurrogate(c) || Character.isISOControl(c);
            if (escape && sb == null) {
                sb = new StringBuilder(s.length() + 16).append(s, 0, i);
            }
            if (sb != null) {
                if (escape) {
                    sb.append(String.format("\\u%04x", (int) c));
                } else {
                    sb.append(c);
                }
            }
        }
        return sb == null ? s : sb.toString();
    }

    static String abbreviate(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
