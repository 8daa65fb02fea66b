package dev.idbsync.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import java.util.Map;

/** The shape of every error body: {@code {"error": {"code": "...", "message": "..."}}}. */
public final class ErrorBody {
    private ErrorBody() {
    }

    public static String json(String code, String message) {
        try {
            return Json.MAPPER.writeValueAsString(Map.of("error", Map.of("code", code, "message", message)));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
