package dev.idbsync.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class KeysTest {

    /** Parses with the project's mapper (floats as BigDecimal), as the envelope parser does. */
    private static JsonNode json(String s) {
        try {
            return Json.MAPPER.readTree(s);
        } catch (Exception e) {
            throw new AssertionError("test input is not JSON: " + s, e);
        }
    }

    private static String canonical(String keyJson) {
        JsonNode key = json(keyJson);
        assertNull(Keys.problem(key, "/key"), "test key must be valid: " + keyJson);
        return Keys.canonical(key);
    }

    // ------------------------------------------------------------------ canonical forms

    static Stream<Arguments> canonicalForms() {
        return Stream.of(
                Arguments.of("\"n-1\"", "\"n-1\""),
                Arguments.of("\"\"", "\"\""),
                Arguments.of("7", "7"),
                Arguments.of("7.0", "7"),
                Arguments.of("7.000", "7"),
                Arguments.of("7e0", "7"),
                Arguments.of("0.7e1", "7"),
                Arguments.of("70e-1", "7"),
                Arguments.of("-7", "-7"),
                Arguments.of("-7.0", "-7"),
                Arguments.of("0", "0"),
                Arguments.of("-0", "0"),
                Arguments.of("-0.0", "0"),
                Arguments.of("0.0", "0"),
                Arguments.of("0e5", "0"),
                Arguments.of("1.5", "1.5"),
                Arguments.of("-1.5", "-1.5"),
                Arguments.of("1.50", "1.5"),
                Arguments.of("0.1", "0.1"),
                Arguments.of("1e3", "1000"),
                Arguments.of("1000000", "1000000"),
                Arguments.of("9007199254740993", "9007199254740992"), // rounds to the nearest double, as IndexedDB does
                Arguments.of("\"say \\\"hi\\\"\"", "\"say \\\"hi\\\"\""),
                Arguments.of("\"back\\\\slash\"", "\"back\\\\slash\""),
                Arguments.of("\"tab\\there\"", "\"tab\\there\""),
                Arguments.of("\"nl\\nx\"", "\"nl\\nx\""),
                Arguments.of("\"ctl\\u0001\"", "\"ctl\\u0001\""),
                Arguments.of("\"caf\\u00e9\"", "\"caf\u00e9\""),
                Arguments.of("\"caf\u00e9\"", "\"caf\u00e9\""),
                Arguments.of("\"\\u65e5\\u672c\"", "\"\u65e5\u672c\""),
                Arguments.of("\"emoji \\ud83d\\ude00\"", "\"emoji \ud83d\ude00\""),
                Arguments.of("\"a/b\"", "\"a/b\""),
                Arguments.of("[\"2026\", 7]", "[\"2026\",7]"),
                Arguments.of("[\"2026\", 7.0]", "[\"2026\",7]"),
                Arguments.of("[ 1 , [ 2.0 , [ \"x\" , -0 ] ] ]", "[1,[2,[\"x\",0]]]"),
                Arguments.of("[[[\"deep\"]]]", "[[[\"deep\"]]]"),
                Arguments.of("[\"\"]", "[\"\"]"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("canonicalForms")
    void canonicalForm(String key, String expected) {
        assertEquals(expected, canonical(key));
    }

    @ParameterizedTest(name = "{0} is valid JSON that means the same key")
    @MethodSource("canonicalForms")
    void canonicalFormIsJsonOfTheSameKey(String key, String expected) {
        String c = canonical(key);
        assertEquals(c, canonical(c), "canonical form must be a fixed point");
    }

    @Test
    void sevenAndSevenPointZeroAreOneKey() {
        assertEquals(canonical("7"), canonical("7.0"));
        assertEquals(canonical("[7, \"a\"]"), canonical("[7.0, \"a\"]"));
        assertNotEquals(canonical("7"), canonical("\"7\""), "the number 7 and the string \"7\" are different keys");
        assertNotEquals(canonical("[7]"), canonical("7"), "[7] and 7 are different keys");
        assertNotEquals(canonical("1.5"), canonical("1.50000001"));
    }

    @Test
    void canonicalFormOfNodesBuiltInCode() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        assertEquals("7", Keys.canonical(f.numberNode(7.0)));
        assertEquals("7", Keys.canonical(f.numberNode(7L)));
        assertEquals("7", Keys.canonical(f.numberNode(7.0f)));
        assertEquals("0", Keys.canonical(f.numberNode(-0.0)));
        assertEquals("1.5", Keys.canonical(f.numberNode(1.5)));
        assertEquals("[\"a\",1]", Keys.canonical(f.arrayNode().add("a").add(1.0)));
    }

    static Stream<Arguments> largeAndSmallNumbers() {
        return Stream.of(
                Arguments.of("1e300", 1e300),
                Arguments.of("-1e300", -1e300),
                Arguments.of("1e21", 1e21),
                Arguments.of("1e20", 1e20),
                Arguments.of("1e-7", 1e-7),
                Arguments.of("1.7976931348623157e308", Double.MAX_VALUE),
                Arguments.of("5e-324", Double.MIN_VALUE),
                Arguments.of("1152921504606846976", 1152921504606846976.0));
    }

    /** Whatever spelling a big number has, it maps to one canonical form that reads back as the same double. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("largeAndSmallNumbers")
    void largeAndSmallNumbersRoundTrip(String spelling, double value) {
        String c = canonical(spelling);
        assertEquals(value, Double.parseDouble(c), "canonical form " + c + " must read back as " + value);
        assertEquals(c, canonical(c));
        assertTrue(c.matches("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?"), "must be a JSON number: " + c);
    }

    @Test
    void differentSpellingsOf1e300AreOneKey() {
        String c = canonical("1e300");
        assertEquals(c, canonical("1E300"));
        assertEquals(c, canonical("1.0e300"));
        assertEquals(c, canonical("10e299"));
        assertEquals(c, canonical("1e+300"));
        assertEquals(c, canonical("0.1e301"));
        assertEquals("[" + c + "]", canonical("[1.000e300]"));
    }

    static Stream<Arguments> shortestForms() {
        return Stream.of(
                Arguments.of("1e300", Set.of("1e300", "1e+300")),
                Arguments.of("1e21", Set.of("1e21", "1e+21")),
                Arguments.of("1e-7", Set.of("1e-7")),
                Arguments.of("12345678.5", Set.of("12345678.5")));
    }

    /**
     * PROTOCOL.md: "Its canonical form is its JSON with numbers in shortest form; the key size
     * limit applies to that form." {@code 1.0e300} is not the shortest form of 1e300, nor is
     * {@code 1.23456785e7} that of 12345678.5.
     */
    @ParameterizedTest(name = "{0}")
    @MethodSource("shortestForms")
    void numbersAreInShortestForm(String spelling, Set<String> allowed) {
        String c = canonical(spelling);
        assertTrue(allowed.contains(c), "canonical form of " + spelling + " should be one of " + allowed + ", was " + c);
    }

    // ------------------------------------------------------------------ problems

    static Stream<Arguments> invalidKeys() {
        return Stream.of(
                Arguments.of("true", "/key", "must be a string, a finite number or a non-empty array of keys, not boolean"),
                Arguments.of("false", "/key", "not boolean"),
                Arguments.of("null", "/key", "not null"),
                Arguments.of("{}", "/key", "not object"),
                Arguments.of("{\"a\":1}", "/key", "not object"),
                Arguments.of("[]", "/key", "an array key must not be empty"),
                Arguments.of("[1, true]", "/key/1", "not boolean"),
                Arguments.of("[\"a\", [1, false]]", "/key/1/1", "not boolean"),
                Arguments.of("[\"a\", []]", "/key/1", "an array key must not be empty"),
                Arguments.of("[[[]]]", "/key/0/0", "an array key must not be empty"),
                Arguments.of("[null]", "/key/0", "not null"),
                Arguments.of("[{}]", "/key/0", "not object"),
                Arguments.of("[1, 2, {}, true]", "/key/2", "not object"),
                Arguments.of("1e400", "/key", "a number key must be finite"),
                Arguments.of("-1e400", "/key", "a number key must be finite"),
                Arguments.of("[1, 1e400]", "/key/1", "a number key must be finite"));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("invalidKeys")
    void problemNamesTheOffendingElement(String key, String pointer, String what) {
        String p = Keys.problem(json(key), "/key");
        assertTrue(p != null, key + " must be refused");
        assertTrue(p.startsWith(pointer + ": "), "should start with '" + pointer + ": ' but was: " + p);
        assertTrue(p.contains(what), "should contain '" + what + "' but was: " + p);
    }

    @Test
    void problemUsesTheGivenPointer() {
        assertEquals("/changes/4/key/0: an array key must not be empty", Keys.problem(json("[[]]"), "/changes/4/key"));
    }

    @Test
    void missingKeyIsRequired() {
        assertTrue(Keys.problem(null, "/changes/0/key").startsWith("/changes/0/key: is required"));
        assertTrue(Keys.problem(MissingNode.getInstance(), "/changes/0/key").startsWith("/changes/0/key: is required"));
    }

    @Test
    void nonFiniteDoublesAreRefused() {
        assertTrue(Keys.problem(DoubleNode.valueOf(Double.NaN), "/k").startsWith("/k: a number key must be finite"));
        assertTrue(Keys.problem(DoubleNode.valueOf(Double.POSITIVE_INFINITY), "/k").startsWith("/k: a number key must be finite"));
        assertTrue(Keys.problem(JsonNodeFactory.instance.arrayNode().add(1).add(Double.NEGATIVE_INFINITY), "/k")
                .startsWith("/k/1: a number key must be finite"));
    }

    static Stream<String> validKeys() {
        return Stream.of("\"\"", "\"x\"", "0", "-1.5", "1e300", "[\"a\", [1, 2]]", "[[[\"x\"]]]", "[0, \"\", [1.5]]");
    }

    @ParameterizedTest
    @MethodSource("validKeys")
    void validKeysHaveNoProblem(String key) {
        assertNull(Keys.problem(json(key), "/key"));
    }
}
