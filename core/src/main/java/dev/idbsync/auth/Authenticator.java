package dev.idbsync.auth;

/**
 * Checks a request's {@code Authorization} header. Made by each spout task when it opens (from
 * the config's {@code auth} section), never shared between processes; thread safe.
 */
public interface Authenticator {
    /** Auth off: every request is {@link Principal#ANYONE}. */
    Authenticator NONE = authorization -> Principal.ANYONE;

    /**
     * @param authorization the request's {@code Authorization} header, or null when it has none
     * @return who sent it, with the grants the token carries
     * @throws AuthException the header is missing, not {@code Bearer <token>}, or the token is
     *         malformed, badly signed, expired, not yet valid, for another issuer or audience
     */
    Principal authenticate(String authorization) throws AuthException;
}
