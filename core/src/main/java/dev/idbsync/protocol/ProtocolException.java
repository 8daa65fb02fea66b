package dev.idbsync.protocol;

/**
 * A whole request is refused: its HTTP status, the PROTOCOL.md error code and a message that
 * names the offending field by JSON pointer where there is one.
 */
public final class ProtocolException extends RuntimeException {
    private final int httpStatus;
    private final String code;

    public ProtocolException(int httpStatus, String code, String message) {
        super(message, null, false, false);
        this.httpStatus = httpStatus;
        this.code = code;
    }

    public static ProtocolException badRequest(String pointer, String problem) {
        return new ProtocolException(400, "bad_request", pointer + ": " + problem);
    }

    public int httpStatus() {
        return httpStatus;
    }

    public String code() {
        return code;
    }

    /** The error body PROTOCOL.md gives every error: {@code {"error":{"code":..,"message":..}}}. */
    public String toJson() {
        return ErrorBody.json(code, getMessage());
    }
}
