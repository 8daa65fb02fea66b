package dev.idbsync.resolve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * Value comparison as a JavaScript client sees values: {@code 1}, {@code 1.0} and {@code 1e0}
 * are one number (JSON.parse cannot tell them apart), everything else is compared exactly.
 */
final class JsonValues {
    private JsonValues() {
    }

    /** 0 when equal; used by {@link JsonNode#equals(Comparator, JsonNode)} on scalar leaves. */
    private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) -> {
        if (a.equals(b)) {
            return 0;
        }
        if (a.isNumber() && b.isNumber()) {
            try {
                return a.decimalValue().compareTo(b.decimalValue()) == 0 ? 0 : 1;
            } catch (NumberFormatException e) { // NaN or infinity: not JSON, so never equal to JSON
                return 1;
            }
        }
        return 1;
    };

    /** Whether two values (null: none) are the same JSON value. */
    static boolean same(JsonNode a, JsonNode b) {
        if (a == null || b == null) {
            return a == b;
        }
        return a.equals(NUMBERS_BY_VALUE, b);
    }

    /**
     * The top-level fields whose value differs between {@code before} and {@code after}
     * (changed, added or removed): those of {@code before} in its order, then the new ones.
     */
    static List<String> changedFields(ObjectNode before, ObjectNode after) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : before.properties()) {
            if (!same(e.getValue(), after.get(e.getKey()))) {
                out.add(e.getKey());
            }
        }
        for (Map.Entry<String, JsonNode> e : after.properties()) {
            if (!before.has(e.getKey())) {
                out.add(e.getKey());
            }
        }
        return List.copyOf(out);
    }
}
