package dev.idbsync.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Names;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;

/**
 * One object store of one db: the JSON Schema its values must meet, its conflict policy and the
 * Ignite cache that holds its records.
 */
public final class StoreConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String DEFAULT_POLICY = "lww";
    private static final Pattern POLICY = Pattern.compile(
            "lww|server-wins|client-wins|merge|custom:[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*");
    private static final Pattern CACHE = Pattern.compile("[A-Za-z0-9._-]{1,255}");

    private final String db;
    private final String store;
    private final String schemaJson;
    private final String schemaSource;
    private final String policy;
    private final String cache;

    /**
     * @param schemaJson   the store's JSON Schema as text, or null for "any object"
     * @param schemaSource where the schema came from, for messages (a file path)
     * @param cache        the Ignite cache name; null gives {@link #defaultCacheName}
     */
    public StoreConfig(String db, String store, String schemaJson, String schemaSource, String policy, String cache) {
        String key = "dbs." + db + ".stores." + store;
        if (!Names.isName(db)) {
            throw new IllegalArgumentException("dbs: \"" + db + "\" is not allowed as a db name; use 1-128 characters of [A-Za-z0-9._-]");
        }
        if (!Names.isName(store)) {
            throw new IllegalArgumentException("dbs." + db + ".stores: \"" + store
                    + "\" is not allowed as a store name; use 1-128 characters of [A-Za-z0-9._-]");
        }
        this.db = db;
        this.store = store;
        if (schemaJson != null) {
            try {
                JsonNode n = Json.MAPPER.readTree(schemaJson);
                if (n == null || !n.isObject()) {
                    throw new IllegalArgumentException(key + ".schema: " + schemaSource
                            + " is not allowed; a JSON Schema must be a JSON object");
                }
            } catch (IOException e) {
                throw new IllegalArgumentException(key + ".schema: " + schemaSource + " is not valid JSON: "
                        + e.getMessage().lines().findFirst().orElse(""));
            }
        }
        this.schemaJson = schemaJson;
        this.schemaSource = schemaSource;
        this.policy = policy == null ? DEFAULT_POLICY : policy;
        if (!POLICY.matcher(this.policy).matches()) {
            throw new IllegalArgumentException(key + ".policy: \"" + this.policy + "\" is not allowed; use lww,"
                    + " server-wins, client-wins, merge or custom:<fully.qualified.ClassName>");
        }
        this.cache = cache == null ? defaultCacheName(db, store) : cache;
        if (!CACHE.matcher(this.cache).matches()) {
            throw new IllegalArgumentException(key + ".cache: \"" + this.cache
                    + "\" is not allowed; use 1-255 characters of [A-Za-z0-9._-]");
        }
    }

    /**
     * One store's mapping in the config file ({@code dbs.<db>.stores.<store>}); its schema file is
     * read here, relative to the config file, so that workers never need the conf directory.
     */
    static StoreConfig fromYaml(String db, String store, Section s) {
        String schemaPath = s.string("schema");
        String policy = s.string("policy");
        String cache = s.string("cache");
        s.finish();
        String schemaJson = null;
        String source = null;
        if (schemaPath != null) {
            Path p = s.resolve(schemaPath);
            source = p.toString();
            try {
                schemaJson = Files.readString(p, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new IllegalArgumentException(s.key("schema") + ": \"" + schemaPath + "\" cannot be read (looked for "
                        + p.toAbsolutePath() + "); give a JSON Schema file path relative to the config file");
            }
        }
        return new StoreConfig(db, store, schemaJson, source, policy, cache);
    }

    /** {@code <db>.<store>}, e.g. {@code notes-app.notes}. */
    public static String defaultCacheName(String db, String store) {
        return db + "." + store;
    }

    public String db() {
        return db;
    }

    public String store() {
        return store;
    }

    /** The JSON Schema text, or null when the store takes any object. */
    public String schemaJson() {
        return schemaJson;
    }

    public String schemaSource() {
        return schemaSource;
    }

    public String policy() {
        return policy;
    }

    public String cache() {
        return cache;
    }
}
