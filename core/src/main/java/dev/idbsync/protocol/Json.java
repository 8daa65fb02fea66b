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

    /**
     * Most characters in one number (sign, digits, point and exponent together). 1000 lets every
     * double through with all the digits of its exact decimal value (at most 767) in exponent
     * form, and keeps BigInteger/BigDecimal parsing of one number cheap. The
     * exponent's size is not bounded by this (1e999999999 is 11 characters):
     * {@link EnvelopeParser} refuses such numbers after parsing, before anything expands them.
     */
    public static final int MAX_NUMBER_LENGTH = 1000;

    /**
     * Most chars in one string value; Jackson's own default, named here. The request body limit
     * ({@code http.maxBodyBytes}, 4 MiB by default) is the tighter bound unless it is raised.
     */
    public static final int MAX_STRING_LENGTH = 20_000_000;

    /** Most chars in one object field name; Jackson's own default, named here. */
    public static final int MAX_NAME_LENGTH = 50_000;

    /** Thread-safe once configured; a constant, not state. */
    public static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNestingDepth(MAX_PARSE_DEPTH)
                            .maxNumberLength(MAX_NUMBER_LENGTH)
                            .maxStringLength(MAX_STRING_LENGTH)
                            .maxNameLength(MAX_NAME_LENGTH)
                            .build())
                    .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    private Json() {
    }
}
