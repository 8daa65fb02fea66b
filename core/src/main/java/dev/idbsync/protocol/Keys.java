package dev.idbsync.protocol;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.core.io.NumberOutput;
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

    /**
     * The shortest form of an IndexedDB number key, spelled as JavaScript's Number#toString
     * spells it (and so as the browser's JSON.stringify does): 7, 1.5, 1e+21, 1e-7.
     */
    static String number(JsonNode n) {
        double d = n.doubleValue();
        if (d == 0) {
            return "0"; // -0 and 0 are one key in IndexedDB
        }
        // Jackson's Schubfach writer gives the shortest digits that read back as the same double.
        BigDecimal shortest = new BigDecimal(NumberOutput.toString(Math.abs(d), true)).stripTrailingZeros();
        String digits = shortest.unscaledValue().toString();
        int k = digits.length();
        int e = k - shortest.scale(); // value = 0.digits x 10^e
        StringBuilder sb = new StringBuilder(d < 0 ? "-" : "");
        if (k <= e && e <= 21) {
            sb.append(digits).append("0".repeat(e - k));
        } else if (0 < e && e <= 21) {
            sb.append(digits, 0, e).append('.').append(digits, e, k);
        } else if (-6 < e && e <= 0) {
            sb.append("0.").append("0".repeat(-e)).append(digits);
        } else {
            sb.append(digits.charAt(0));
            if (k > 1) {
                sb.append('.').append(digits, 1, k);
            }
            sb.append('e').append(e - 1 >= 0 ? "+" : "-").append(Math.abs(e - 1));
        }
        return sb.toString();
    }
}
