package dev.idbsync.config;

import java.io.Serializable;

/** Per-change limits; a change over one of them is {@code rejected}, not the whole request. */
public final class LimitsConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** PROTOCOL.md's defaults. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 256 * 1024;
    public static final int DEFAULT_MAX_VALUE_DEPTH = 32;
    public static final int DEFAULT_MAX_KEY_BYTES = 1024;
    /**
     * A rejected change's value is kept whole up to this many bytes of JSON, else in a bounded
     * form (size, SHA-256, prefix). It is stored three times (the rejected-changes log and the
     * outcome in Ignite, a line in the files) for every rejection an anonymous caller can cause,
     * so it is sized for a readable prefix, not for the value: 16 KiB shows any sensible record
     * whole while a 256 KiB (or larger) rejected value costs at most ~16 KiB per copy.
     */
    public static final int DEFAULT_MAX_REJECTED_VALUE_BYTES = 16 * 1024;

    private final int maxValueBytes;
    private final int maxValueDepth;
    private final int maxKeyBytes;
    private final int maxRejectedValueBytes;

    public LimitsConfig(int maxValueBytes, int maxValueDepth, int maxKeyBytes) {
        this(maxValueBytes, maxValueDepth, maxKeyBytes, DEFAULT_MAX_REJECTED_VALUE_BYTES);
    }

    public LimitsConfig(int maxValueBytes, int maxValueDepth, int maxKeyBytes, int maxRejectedValueBytes) {
        this.maxValueBytes = Check.range("limits.maxValueBytes", maxValueBytes, 16, 64 * 1024 * 1024);
        // The parser refuses nesting past 1000 levels, so a deeper value limit could never apply.
        this.maxValueDepth = Check.range("limits.maxValueDepth", maxValueDepth, 1, 900);
        this.maxKeyBytes = Check.range("limits.maxKeyBytes", maxKeyBytes, 16, 1024 * 1024);
        // 256: room for a prefix that shows what the value was; above 64 MiB it bounds nothing.
        this.maxRejectedValueBytes = Check.range("limits.maxRejectedValueBytes", maxRejectedValueBytes, 256,
                64 * 1024 * 1024);
    }

    /** The {@code limits} section of the config file. */
    static LimitsConfig fromYaml(Section s) {
        int valueBytes = s.integer("maxValueBytes", DEFAULT_MAX_VALUE_BYTES);
        int valueDepth = s.integer("maxValueDepth", DEFAULT_MAX_VALUE_DEPTH);
        int keyBytes = s.integer("maxKeyBytes", DEFAULT_MAX_KEY_BYTES);
        int rejectedValueBytes = s.integer("maxRejectedValueBytes", DEFAULT_MAX_REJECTED_VALUE_BYTES);
        s.finish();
        return new LimitsConfig(valueBytes, valueDepth, keyBytes, rejectedValueBytes);
    }

    public static LimitsConfig defaults() {
        return new LimitsConfig(DEFAULT_MAX_VALUE_BYTES, DEFAULT_MAX_VALUE_DEPTH, DEFAULT_MAX_KEY_BYTES,
                DEFAULT_MAX_REJECTED_VALUE_BYTES);
    }

    /** Bytes of a put's value serialized as compact JSON (UTF-8). */
    public int maxValueBytes() {
        return maxValueBytes;
    }

    /** Levels of nesting in a value; the value object itself is level 1. */
    public int maxValueDepth() {
        return maxValueDepth;
    }

    /** Bytes of a key's canonical form (UTF-8). */
    public int maxKeyBytes() {
        return maxKeyBytes;
    }

    /**
     * Bytes of JSON (UTF-8) of a rejected change's value kept as it was sent; a larger one is
     * kept as {@code valueTruncated: {bytes, sha256, prefix}} in the rejected-changes log, the
     * outcome and the files; a key or {@code fields} over it likewise ({@code keyTruncated},
     * {@code fieldsTruncated}).
     */
    public int maxRejectedValueBytes() {
        return maxRejectedValueBytes;
    }
}
