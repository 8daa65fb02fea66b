package dev.idbsync.config;

import java.io.Serializable;

/** Per-change limits; a change over one of them is {@code rejected}, not the whole request. */
public final class LimitsConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** PROTOCOL.md's defaults. */
    public static final int DEFAULT_MAX_VALUE_BYTES = 256 * 1024;
    public static final int DEFAULT_MAX_VALUE_DEPTH = 32;
    public static final int DEFAULT_MAX_KEY_BYTES = 1024;

    private final int maxValueBytes;
    private final int maxValueDepth;
    private final int maxKeyBytes;

    public LimitsConfig(int maxValueBytes, int maxValueDepth, int maxKeyBytes) {
        this.maxValueBytes = Check.range("limits.maxValueBytes", maxValueBytes, 16, 64 * 1024 * 1024);
        // The parser refuses nesting past 1000 levels, so a deeper value limit could never apply.
        this.maxValueDepth = Check.range("limits.maxValueDepth", maxValueDepth, 1, 900);
        this.maxKeyBytes = Check.range("limits.maxKeyBytes", maxKeyBytes, 16, 1024 * 1024);
    }

    public static LimitsConfig defaults() {
        return new LimitsConfig(DEFAULT_MAX_VALUE_BYTES, DEFAULT_MAX_VALUE_DEPTH, DEFAULT_MAX_KEY_BYTES);
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
}
