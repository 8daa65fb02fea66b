package dev.idbsync.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;

/**
 * IndexedDB keys: a string, a finite number or a non-empty array of keys. The canonical form is
 * the key's JSON with numbers in shortest form, so {@code 7} and {@code 7.0} are one key.
 */
public final class Keys {
    private Keys() {
    }

    /**
     * Checks that {@code key} is a valid key and returns null, or returns what is wrong with it,
     * naming the offending element by JSON pointer below {@code pointer}.
     */
    public static String problem(JsonNode key, String pointer) {
        if (key == null || key.isMissingNode()) {
            return pointer + ": is required (a string, a number or a non-empty array of keys)";
        }
        if (key.isTextual()) {
            return null;
        }
        if (key.isNumber()) {
            double d = key.doubleValue();
            return Double.isFinite(d) ? null : pointer + ": a number key must be finite";
        }
        if (key.isArray()) {
            if (key.isEmpty()) {
                return pointer + ": an array key must not be empty";
            }
            for (int i = 0; i < key.size(); i++) {
                String p = problem(key.get(i), pointer + "/" + i);
                if (p != null) {
                    return p;
                }
            }
            return null;
        }
        return pointer + ": must be a string, a finite number or a non-empty array of keys, not "
                + key.getNodeType().toString().toLowerCase();
    }

    /** The canonical form of a valid key. */
    public static String canonical(JsonNode key) {
        StringBuilder sb = new StringBuilder();
        append(sb, key);
        return sb.toString();
    }

    private static void append(StringBuilder sb, JsonNode key) {
        if (key.isTextual()) {
            sb.append(key.toString()); // Jackson's TextNode.toString() is the quoted, escaped JSON form
        } else if (key.isNumber()) {
            sb.append(number(key));
        } else {
            sb.append('[');
            for (int i = 0; i < key.size(); i++) {
                if (i > 0) {
                    sb.append(',');
                }
                append(sb, key.get(i));
            }
            sb.append(']');
        }
    }

    private static String number(JsonNode n) {
        // IndexedDB numbers are doubles; the shortest form of the double is the canonical one.
        double d = n.doubleValue();
        if (d == Math.rint(d) && Math.abs(d) < 1e21) {
            if (d == 0) {
                return "0"; // -0 and 0 are one key in IndexedDB
            }
            return new BigDecimal(d).toPlainString();
        }
        return Double.toString(d).replace("E", "e");
    }
}
