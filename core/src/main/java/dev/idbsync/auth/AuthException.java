package dev.idbsync.auth;

/**
 * A request's token was missing or refused: answered 401 {@code unauthorized} with
 * {@code WWW-Authenticate: Bearer} (plus {@code error="invalid_token"} when a token was sent).
 * The message says what was wrong with the token and never names a db or a clientId.
 */
public final class AuthException extends Exception {
    private static final long serialVersionUID = 1L;

    private final boolean tokenSent;

    public AuthException(String message, boolean tokenSent) {
        super(message);
        this.tokenSent = tokenSent;
    }

    /** Whether a token was sent (then the header carries {@code error="invalid_token"}). */
    public boolean tokenSent() {
        return tokenSent;
    }

    /** The {@code WWW-Authenticate} header's value. */
    public String wwwAuthenticate() {
        return tokenSent ? "Bearer error=\"invalid_token\"" : "Bearer";
    }
}
