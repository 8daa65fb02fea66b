package dev.idbsync.config;

import java.io.Serializable;
import java.net.URI;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code auth} section: who may push and pull (PROTOCOL.md 1.1, "Authentication and scoping").
 * With {@link Mode#JWT} every API request needs {@code Authorization: Bearer <JWT>}, checked
 * against exactly one key source: an HS256 secret read from an environment variable (for
 * development), or RS256/ES256 keys from a JWKS file or URL (production). Immutable and
 * serializable: the topology hands it to every spout task, which makes its own authenticator.
 *
 * @param mode            none (anyone who reaches the port may push and pull) or jwt
 * @param hs256SecretEnv  name of the environment variable holding the HS256 secret (at least 32 bytes)
 * @param jwksFile        absolute path of a JWKS file (given relative to the YAML file); every worker host needs it
 * @param jwksUrl         http(s) URL of a JWKS, e.g. an OIDC issuer's {@code jwks_uri}
 * @param issuer          the {@code iss} every token must carry; null: not checked
 * @param audience        a value the token's {@code aud} must hold; null: not checked
 * @param grantsClaim     the claim holding the grants ({@code <db>:write}, {@code <db>:read})
 * @param clockSkewSeconds leeway for {@code exp} and {@code nbf} against the server's clock
 * @param configured      whether the config file had an {@code auth} section at all
 */
public record AuthConfig(Mode mode, String hs256SecretEnv, String jwksFile, String jwksUrl, String issuer,
        String audience, String grantsClaim, int clockSkewSeconds, boolean configured) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The grants claim of OAuth 2.0 access tokens (RFC 8693 and 9068): a space-separated string. */
    public static final String DEFAULT_GRANTS_CLAIM = "scope";
    /** A minute covers the clock drift of hosts kept by NTP without letting an expired token live on. */
    public static final int DEFAULT_CLOCK_SKEW_SECONDS = 60;

    /** How requests are authenticated. */
    public enum Mode {
        /** Every request is allowed (the local run's default). */
        NONE,
        /** Every API request needs a bearer JWT. */
        JWT
    }

    public AuthConfig {
        if (mode == null) {
            throw new IllegalArgumentException("auth.mode: missing is not allowed; use none or jwt");
        }
        if (hs256SecretEnv != null && !hs256SecretEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("auth.hs256SecretEnv: \"" + hs256SecretEnv + "\" is not allowed; give the"
                    + " name of an environment variable (letters, digits and _), e.g. IDBSYNC_JWT_SECRET, not the secret");
        }
        if (jwksUrl != null) {
            URI u;
            try {
                u = URI.create(jwksUrl);
            } catch (IllegalArgumentException e) {
                u = null;
            }
            String scheme = u == null || u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("https") || scheme.equals("http")) || u.getHost() == null) {
                throw new IllegalArgumentException("auth.jwksUrl: \"" + jwksUrl + "\" is not allowed; give an https URL"
                        + " such as https://login.example.com/.well-known/jwks.json");
            }
        }
        if (jwksFile != null) {
            Check.notBlank("auth.jwksFile", jwksFile);
        }
        if (issuer != null) {
            Check.notBlank("auth.issuer", issuer);
        }
        if (audience != null) {
            Check.notBlank("auth.audience", audience);
        }
        grantsClaim = Check.notBlank("auth.grantsClaim", grantsClaim == null ? DEFAULT_GRANTS_CLAIM : grantsClaim);
        Check.range("auth.clockSkewSeconds", clockSkewSeconds, 0, 600);
        int sources = (hs256SecretEnv != null ? 1 : 0) + (jwksFile != null ? 1 : 0) + (jwksUrl != null ? 1 : 0);
        if (mode == Mode.JWT && sources != 1) {
            throw new IllegalStateException("auth: mode jwt needs exactly one key source, "
                    + (sources == 0 ? "none is given" : sources + " are given") + "; set one of auth.hs256SecretEnv"
                    + " (an environment variable with an HS256 secret, for development), auth.jwksFile or auth.jwksUrl"
                    + " (RS256/ES256 keys of your identity provider)");
        }
        if (mode == Mode.NONE && (sources != 0 || issuer != null || audience != null)) {
            throw new IllegalStateException("auth: mode none takes no other key; remove the key source, issuer and"
                    + " audience, or set auth.mode: jwt");
        }
    }

    /** No {@code auth} section in the file: auth off, and {@link #configured()} false. */
    public static AuthConfig absent() {
        return new AuthConfig(Mode.NONE, null, null, null, null, null, DEFAULT_GRANTS_CLAIM,
                DEFAULT_CLOCK_SKEW_SECONDS, false);
    }

    /** Auth off, chosen explicitly. */
    public static AuthConfig none() {
        return new AuthConfig(Mode.NONE, null, null, null, null, null, DEFAULT_GRANTS_CLAIM,
                DEFAULT_CLOCK_SKEW_SECONDS, true);
    }

    /** JWT with an HS256 secret from the environment variable {@code env} (the local run's --jwt-secret-env). */
    public static AuthConfig hs256(String env) {
        return new AuthConfig(Mode.JWT, env, null, null, null, null, DEFAULT_GRANTS_CLAIM,
                DEFAULT_CLOCK_SKEW_SECONDS, true);
    }

    /** Whether requests need a token. */
    public boolean enabled() {
        return mode == Mode.JWT;
    }

    /** The {@code auth} section of the config file, when the file has one. */
    static AuthConfig fromYaml(Section s) {
        Mode[] mode = {null};
        s.choice("mode", Map.of("none", Mode.NONE, "jwt", Mode.JWT), "none or jwt", m -> mode[0] = m);
        String secretEnv = s.string("hs256SecretEnv");
        String file = s.string("jwksFile");
        String url = s.string("jwksUrl");
        String issuer = s.string("issuer");
        String audience = s.string("audience");
        boolean grantsGiven = s.has("grantsClaim");
        String grants = s.string("grantsClaim");
        boolean skewGiven = s.has("clockSkewSeconds");
        int skew = s.integer("clockSkewSeconds", DEFAULT_CLOCK_SKEW_SECONDS);
        s.finish();
        if (mode[0] == null) {
            throw new IllegalArgumentException(s.key("mode") + ": is required in an auth section; use jwt (with"
                    + " hs256SecretEnv, jwksFile or jwksUrl) to check tokens, or none to leave the API open");
        }
        if (mode[0] == Mode.NONE && (grantsGiven || skewGiven)) {
            throw new IllegalStateException("auth: mode none takes no other key; remove "
                    + (grantsGiven ? "auth.grantsClaim" : "auth.clockSkewSeconds") + ", or set auth.mode: jwt");
        }
        return new AuthConfig(mode[0], secretEnv, file == null ? null : s.resolve(file).toAbsolutePath().normalize().toString(),
                url, issuer, audience, grants, skew, true);
    }
}
