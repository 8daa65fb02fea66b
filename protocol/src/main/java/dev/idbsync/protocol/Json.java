package dev.idbsync.protocol;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** The one Jackson configuration every part of idbsync reads and writes JSON with. */
public final class Json {
    /**
     * Nesting deeper than this is refused by the parser itself (400 {@code bad_json}); values
     * are held to the much smaller per-change limit ({@code limits.maxValueDepth}) later, as a
     * {@code rejected} result. The parser bound exists so a hostile body cannot exhaust the stack.
     */
    public static final int MAX_PARSE_DEPTH = 1000;

    /** Thread-safe once configured; a constant, not state. */
    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_PARSE_DEPTH).build())
                    .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private Json() {
    }
}
