package dev.idbsync.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads {@code conf/<env>.yaml} into a {@link SyncConfig}. Every key is checked: an unknown key
 * (a typo) is an error naming it and the keys allowed there, and a bad value is an error naming
 * the key, the value and what is allowed. Each section is read by the {@code fromYaml} of its
 * config type ({@link SyncConfig#fromYaml} for the file, {@link HttpConfig#fromYaml} for
 * {@code http}, ...) through a {@link Section}. Schema files are read relative to the YAML file,
 * so that workers never need the conf directory.
 */
public final class ConfigLoader {
    /** A key given twice is an error, not a silent "last one wins". */
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION));

    private ConfigLoader() {
    }

    public static SyncConfig load(Path file) {
        JsonNode root;
        try {
            root = YAML.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException("config file " + file + " does not exist");
        } catch (IOException e) {
            String m = e.getMessage();
            if (m != null && m.startsWith("Duplicate field")) {
                throw new IllegalArgumentException("config file " + file + ": a key is given twice ("
                        + m.lines().findFirst().orElse(m) + "); keep one");
            }
            throw new IllegalArgumentException("config file " + file + " is not valid YAML: " + m);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("config file " + file + " must hold a YAML mapping");
        }
        return SyncConfig.fromYaml(Section.root(root, file.toAbsolutePath().getParent()));
    }
}
