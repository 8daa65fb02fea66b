package dev.idbsync.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.LongConsumer;

/**
 * One mapping of the config file (the root, {@code http}, {@code ignite.embedded}, a store, ...),
 * read key by key by the {@code fromYaml} of its config type. Each read names its key once, checks
 * the value's type and hands it to a builder only when the key is there, so the builder's default
 * stays the one default. The section remembers every key it was asked for: {@link #finish()} calls
 * any other key in the mapping a typo and lists the keys asked for, so there is no second list of
 * known keys to keep in step.
 *
 * <p>Call {@link #finish()} after the last read and before the builder checks the values: a typo
 * is reported as such, not as whatever its missing value makes the builder refuse.
 */
final class Section {
    /** Turns {@code topology.storm} values into plain Java values; no settings matter for that. */
    private static final ObjectMapper PLAIN = new ObjectMapper();

    private final JsonNode node;
    /** The keys' prefix in messages: "" at the root, "http.", "dbs.notes-app.stores.notes.". */
    private final String prefix;
    /** Where relative paths in the file start: the directory of the YAML file (null: as given). */
    private final Path baseDir;
    private final Set<String> asked = new TreeSet<>();

    private Section(JsonNode node, String prefix, Path baseDir) {
        this.node = node;
        this.prefix = prefix;
        this.baseDir = baseDir;
    }

    /** The file's top-level mapping. */
    static Section root(JsonNode root, Path baseDir) {
        return new Section(root, "", baseDir);
    }

    /** The key's name in messages, e.g. {@code http.port}. */
    String key(String name) {
        return prefix + name;
    }

    /** Whether the key is given (with any value, null included); asks for it. */
    boolean has(String name) {
        asked.add(name);
        return node.has(name);
    }

    /** The value as it is, or null when the key is not given; asks for it. */
    JsonNode raw(String name) {
        return has(name) ? node.get(name) : null;
    }

    /**
     * The mapping under the key: empty when the key is missing or has no value (every default),
     * an error naming the key when it is not a mapping.
     */
    Section section(String name) {
        JsonNode n = raw(name);
        if (n == null || n.isNull()) {
            return new Section(JsonNodeFactory.instance.objectNode(), key(name) + ".", baseDir);
        }
        if (!n.isObject()) {
            throw new IllegalArgumentException(key(name) + ": must be a mapping, not "
                    + n.getNodeType().toString().toLowerCase());
        }
        return new Section(n, key(name) + ".", baseDir);
    }

    /**
     * The keys of the mapping, in file order, for a mapping whose keys are names (the dbs, a db's
     * stores) rather than settings; read each entry with {@link #raw} or {@link #section}.
     */
    List<String> names() {
        List<String> out = new ArrayList<>();
        node.fieldNames().forEachRemaining(out::add);
        return out;
    }

    void integer(String name, IntConsumer to) {
        if (has(name)) {
            to.accept(integer(name));
        }
    }

    int integer(String name, int otherwise) {
        return has(name) ? integer(name) : otherwise;
    }

    private int integer(String name) {
        JsonNode n = node.get(name);
        if (!n.isIntegralNumber() || !n.canConvertToInt()) {
            throw new IllegalArgumentException(key(name) + ": " + n + " is not allowed; give an integer");
        }
        return n.intValue();
    }

    /** An integer that may be beyond 32 bits (byte counts). */
    void longInteger(String name, LongConsumer to) {
        if (has(name)) {
            JsonNode n = node.get(name);
            if (!n.isIntegralNumber() || !n.canConvertToLong()) {
                throw new IllegalArgumentException(key(name) + ": " + n + " is not allowed; give an integer");
            }
            to.accept(n.longValue());
        }
    }

    void string(String name, Consumer<String> to) {
        if (has(name)) {
            to.accept(string(name));
        }
    }

    /** The string, or null when the key is not given. */
    String string(String name) {
        if (!has(name)) {
            return null;
        }
        JsonNode n = node.get(name);
        if (!n.isTextual()) {
            throw new IllegalArgumentException(key(name) + ": " + n + " is not allowed; give a string");
        }
        return n.asText();
    }

    void bool(String name, Consumer<Boolean> to) {
        if (has(name)) {
            JsonNode n = node.get(name);
            if (!n.isBoolean()) {
                throw new IllegalArgumentException(key(name) + ": " + n + " is not allowed; give true or false");
            }
            to.accept(n.asBoolean());
        }
    }

    /**
     * A list of strings.
     *
     * @param list  what to give instead of a value that is not a list, e.g. "a list of origins"
     * @param items what to give instead of an item that is not a string, e.g. "origins as strings"
     */
    void strings(String name, String list, String items, Consumer<List<String>> to) {
        if (!has(name)) {
            return;
        }
        JsonNode n = node.get(name);
        if (!n.isArray()) {
            throw new IllegalArgumentException(key(name) + ": " + n + " is not allowed; give " + list);
        }
        List<String> out = new ArrayList<>();
        for (JsonNode x : n) {
            if (!x.isTextual()) {
                throw new IllegalArgumentException(key(name) + ": " + x + " is not allowed; give " + items);
            }
            out.add(x.asText());
        }
        to.accept(out);
    }

    /**
     * One of a fixed set of words.
     *
     * @param allowed the words for the message, e.g. "failover or load_balance"
     */
    <T> void choice(String name, Map<String, T> choices, String allowed, Consumer<T> to) {
        String v = string(name);
        if (v == null) {
            return;
        }
        T t = choices.get(v);
        if (t == null) {
            throw new IllegalArgumentException(key(name) + ": \"" + v + "\" is not allowed; use " + allowed);
        }
        to.accept(t);
    }

    /**
     * Settings passed on as they are (with their YAML types), or null when the key is not given.
     *
     * @param what what the mapping holds, for the message when the value is not a mapping
     */
    Map<String, Object> passThrough(String name, String what) {
        JsonNode n = raw(name);
        if (n == null) {
            return null;
        }
        if (!n.isObject()) {
            throw new IllegalArgumentException(key(name) + ": must be a mapping of " + what);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), PLAIN.convertValue(e.getValue(), Object.class));
        }
        return out;
    }

    /** A path given in the file, resolved against the directory of the file. */
    Path resolve(String path) {
        return baseDir == null ? Path.of(path) : baseDir.resolve(path);
    }

    /**
     * Refuses any key of the mapping that was not asked for, naming it and listing the ones that
     * were (in alphabetical order).
     *
     * @param dottedKeysAreStorms keys with a dot pass (the root: Storm's client reads the same file)
     */
    void finish(boolean dottedKeysAreStorms) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!asked.contains(k) && !(dottedKeysAreStorms && k.contains("."))) {
                throw new IllegalArgumentException(key(k) + ": unknown key; allowed here: " + String.join(", ", asked));
            }
        }
    }

    /** {@link #finish(boolean)} for every mapping but the root. */
    void finish() {
        finish(false);
    }
}
