package dev.idbsync.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.jwk.source.RateLimitReachedException;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.Resource;
import com.nimbusds.jose.util.ResourceRetriever;
import com.nimbusds.jwt.EncryptedJWT;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.ParseException;
import java.time.Clock;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Checks bearer JWTs with nimbus-jose-jwt (PROTOCOL.md 1.1, "Authentication and scoping"): the
 * signature with the one configured key source (an HS256 secret, or RS256/ES256 keys from a JWKS
 * that is cached and fetched again when a token names an unknown {@code kid}); {@code exp} and
 * {@code sub} required; {@code nbf} when present; {@code iss} and {@code aud} when configured;
 * all within the configured clock skew. A token whose {@code alg} is not the one its key source
 * was configured for is refused before any key is looked at, so an HS256 token signed with an
 * RSA public key's bytes never reaches a MAC check, and {@code alg: none} is refused outright.
 *
 * <p>The grants are read from the configured claim, either a space-separated string (OAuth's
 * {@code scope}) or an array of strings. Messages of {@link AuthException} say what was wrong and
 * never echo the token. Thread safe: nimbus's processor and key sources are.
 */
public final class JwtAuthenticator implements Authenticator, AutoCloseable {
    /** The algorithms of a JWKS: RSA and EC signatures, never a MAC (a public key is no secret). */
    public static final Set<JWSAlgorithm> JWKS_ALGORITHMS = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256);
    /** A JWKS larger than this is not a key set; nimbus's own default limit. */
    private static final int MAX_JWKS_BYTES = JWKSourceBuilder.DEFAULT_HTTP_SIZE_LIMIT;
    /** Connect and read timeouts of a JWKS fetch. */
    static final int JWKS_TIMEOUT_MS = 3000;
    /** The smallest HS256 secret: RFC 7518 asks for a key at least as long as the hash (256 bits). */
    public static final int MIN_SECRET_BYTES = 32;
    private static final String BEARER = "Bearer ";

    private final Set<JWSAlgorithm> algorithms;
    private final JWKSource<SecurityContext> keys;
    private final DefaultJWTProcessor<SecurityContext> processor;
    private final String grantsClaim;

    /**
     * @param algorithms  the only algorithms a token may be signed with
     * @param keys        where the verification keys come from
     * @param issuer      the required {@code iss}, or null
     * @param audience    a value the {@code aud} must hold, or null
     * @param grantsClaim the claim holding the grants
     * @param clockSkewSeconds leeway for {@code exp} and {@code nbf}
     * @param clock       the time tokens are checked against (tests inject one)
     */
    JwtAuthenticator(Set<JWSAlgorithm> algorithms, JWKSource<SecurityContext> keys, String issuer, String audience,
            String grantsClaim, int clockSkewSeconds, Clock clock) {
        this.algorithms = Set.copyOf(algorithms);
        this.keys = keys;
        this.grantsClaim = grantsClaim;
        processor = new DefaultJWTProcessor<>();
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(this.algorithms, keys));
        // Plain JWTs and OAuth access tokens (RFC 9068) alike; an ID token's typ is JWT too.
        processor.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT,
                new JOSEObjectType("at+jwt"), new JOSEObjectType("application/at+jwt"), null));
        JWTClaimsSet exact = issuer == null ? new JWTClaimsSet.Builder().build()
                : new JWTClaimsSet.Builder().issuer(issuer).build();
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                audience == null ? null : Set.of(audience), exact, Set.of("exp", "sub"), null) {
            @Override
            protected Date currentTime() {
                return Date.from(clock.instant());
            }
        };
        claims.setMaxClockSkew(clockSkewSeconds);
        processor.setJWTClaimsSetVerifier(claims);
    }

    /** HS256 tokens signed with {@code secret} (at least {@value #MIN_SECRET_BYTES} bytes). */
    public static JwtAuthenticator hs256(byte[] secret, String issuer, String audience, String grantsClaim,
            int clockSkewSeconds) {
        if (secret.length < MIN_SECRET_BYTES) {
            throw new IllegalArgumentException("the HS256 secret has " + secret.length + " bytes; give at least "
                    + MIN_SECRET_BYTES);
        }
        return new JwtAuthenticator(Set.of(JWSAlgorithm.HS256), new ImmutableSecret<>(secret.clone()), issuer, audience,
                grantsClaim, clockSkewSeconds, Clock.systemUTC());
    }

    /**
     * RS256/ES256 tokens whose keys come from a JWKS at {@code url}: fetched on the first token,
     * cached (nimbus's defaults: five minutes, refreshed ahead of expiry, retried once, the last
     * good set kept through an outage) and fetched again, rate limited, when a token names a
     * {@code kid} the cached set does not hold (the issuer rotated its keys). Fetched with
     * {@link #JWKS_TIMEOUT_MS} connect and read timeouts: nimbus's default of 500 ms each failed
     * the first token of a busy node (a worker starting beside others) for want of a key.
     */
    public static JwtAuthenticator jwksUrl(URL url, String issuer, String audience, String grantsClaim,
            int clockSkewSeconds) {
        DefaultResourceRetriever retriever = new DefaultResourceRetriever(JWKS_TIMEOUT_MS, JWKS_TIMEOUT_MS, MAX_JWKS_BYTES);
        JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(url, retriever).retrying(true).build();
        return new JwtAuthenticator(JWKS_ALGORITHMS, keys, issuer, audience, grantsClaim, clockSkewSeconds,
                Clock.systemUTC());
    }

    /**
     * RS256/ES256 tokens whose keys come from a JWKS file: read on the first token, cached and
     * read again when a token names an unknown {@code kid}, so replacing the file rotates keys
     * without a restart.
     */
    public static JwtAuthenticator jwksFile(Path file, String issuer, String audience, String grantsClaim,
            int clockSkewSeconds) {
        return new JwtAuthenticator(JWKS_ALGORITHMS, fileSource(file), issuer, audience, grantsClaim, clockSkewSeconds,
                Clock.systemUTC());
    }

    /** A cached JWKS source over a file, the same builder as a URL's but reading the disk. */
    static JWKSource<SecurityContext> fileSource(Path file) {
        URL url;
        try {
            url = file.toAbsolutePath().toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("auth.jwksFile: " + file + " is not a usable path", e);
        }
        ResourceRetriever fromDisk = u -> {
            try {
                Path p = Path.of(u.toURI());
                if (Files.size(p) > MAX_JWKS_BYTES) {
                    throw new IOException("the JWKS file " + p + " is over " + MAX_JWKS_BYTES + " bytes");
                }
                return new Resource(Files.readString(p, StandardCharsets.UTF_8), "application/json");
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
        };
        // Not rate limited, unlike a URL: a local read is cheap, and a file replaced twice within
        // nimbus's 30 s window would otherwise leave the new key unseen until the window ends.
        return JWKSourceBuilder.<SecurityContext>create(url, fromDisk).rateLimited(false).build();
    }

    @Override
    public Principal authenticate(String authorization) throws AuthException {
        if (authorization == null || authorization.isBlank()) {
            throw new AuthException("no bearer token; send Authorization: Bearer <JWT>", false);
        }
        if (authorization.length() < BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            throw new AuthException("the Authorization header is not a bearer token; send Authorization: Bearer <JWT>",
                    false);
        }
        String token = authorization.substring(BEARER.length()).trim();
        if (token.isEmpty()) {
            throw new AuthException("no bearer token; send Authorization: Bearer <JWT>", false);
        }
        JWTClaimsSet claims = verify(token);
        if (claims.getSubject().isBlank()) {
            throw new AuthException("the token's sub (the user) is empty", true);
        }
        return Principal.of(claims.getSubject(), grants(claims));
    }

    private JWTClaimsSet verify(String token) throws AuthException {
        JWT jwt;
        try {
            jwt = JWTParser.parse(token);
        } catch (ParseException e) {
            throw new AuthException("the token is not a well-formed JWT", true);
        }
        if (jwt instanceof PlainJWT) {
            throw new AuthException("the token is unsigned (alg none); it must be signed with " + names(), true);
        }
        if (jwt instanceof EncryptedJWT) {
            throw new AuthException("the token is encrypted (JWE); send a signed JWT (" + names() + ")", true);
        }
        SignedJWT signed = (SignedJWT) jwt;
        JWSAlgorithm alg = signed.getHeader().getAlgorithm();
        if (!algorithms.contains(alg)) {
            throw new AuthException("the token is signed with " + alg + ", but this server accepts only " + names(), true);
        }
        try {
            return processor.process(signed, null);
        } catch (BadJWTException e) {
            throw new AuthException(claimsProblem(e.getMessage()), true);
        } catch (RateLimitReachedException e) {
            // The set was fetched again moments ago and still lacks the kid: as good as unknown.
            throw new AuthException(signatureProblem(signed, "no matching key"), true);
        } catch (KeySourceException e) {
            throw new AuthException("the token's signing keys could not be fetched; try again later", true);
        } catch (BadJOSEException e) {
            throw new AuthException(signatureProblem(signed, e.getMessage()), true);
        } catch (JOSEException e) {
            throw new AuthException("the token's signature could not be checked", true);
        }
    }

    /** Nimbus's claims messages turned into ours; they name claims, never the token. */
    private static String claimsProblem(String m) {
        String s = m == null ? "" : m;
        if (s.startsWith("Expired JWT")) {
            return "the token has expired (exp is in the past); get a new one";
        }
        if (s.startsWith("JWT before use time")) {
            return "the token is not yet valid (nbf is in the future)";
        }
        if (s.contains("missing required claims")) {
            return "the token lacks required claims" + (s.indexOf('[') >= 0 ? ": " + s.substring(s.indexOf('[')) : "")
                    + " (exp and sub are required)";
        }
        if (s.contains("iss claim")) {
            return "the token is from the wrong issuer (iss)";
        }
        if (s.contains("aud claim") || s.contains("audience")) {
            return "the token is for another audience (aud)";
        }
        return "the token's claims were refused: " + s;
    }

    private static String signatureProblem(SignedJWT jwt, String m) {
        String s = m == null ? "" : m;
        if (s.contains("Invalid signature")) {
            return "bad signature: the token was not signed with a key this server trusts";
        }
        if (s.contains("no matching key")) {
            String kid = jwt.getHeader().getKeyID();
            return kid == null ? "no trusted key matches the token (it names no kid)"
                    : "no trusted key has the token's kid (" + printable(kid) + ")";
        }
        if (s.contains("JOSE header typ")) {
            return "the token's typ header is not JWT or at+jwt";
        }
        return "the token was refused: " + s;
    }

    /** A kid as the message shows it: bounded and printable, since it comes from the caller. */
    private static String printable(String kid) {
        String k = kid.length() > 64 ? kid.substring(0, 64) + "..." : kid;
        return k.replaceAll("[^\\x20-\\x7e]", "?");
    }

    private String names() {
        return algorithms.stream().map(JWSAlgorithm::getName).sorted().collect(Collectors.joining(", "));
    }

    private Set<String> grants(JWTClaimsSet claims) throws AuthException {
        Object v = claims.getClaim(grantsClaim);
        if (v == null) {
            return Set.of();
        }
        Set<String> out = new LinkedHashSet<>();
        if (v instanceof String s) {
            for (String g : s.trim().split("\\s+")) {
                if (!g.isEmpty()) {
                    out.add(g);
                }
            }
            return out;
        }
        if (v instanceof List<?> list) {
            for (Object o : list) {
                if (!(o instanceof String g)) {
                    throw new AuthException("the token's " + grantsClaim + " claim must be a space-separated string"
                            + " or an array of strings", true);
                }
                out.add(g);
            }
            return out;
        }
        throw new AuthException("the token's " + grantsClaim + " claim must be a space-separated string or an"
                + " array of strings", true);
    }

    /**
     * Stops the JWKS source's background refresh, if it has one; the spout task calls it when it
     * closes ({@code if (authenticator instanceof AutoCloseable c) c.close()}).
     */
    @Override
    public void close() throws IOException {
        if (keys instanceof java.io.Closeable c) {
            c.close();
        }
    }

    /** For the spout's log line: what this authenticator accepts. */
    @Override
    public String toString() {
        return "JwtAuthenticator[" + names() + ", grants from " + grantsClaim + "]";
    }
}
