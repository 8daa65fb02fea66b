package dev.idbsync.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JwtAuthenticatorTest {
    private static final byte[] SECRET = "0123456789abcdef0123456789abcdef-test".getBytes(StandardCharsets.UTF_8);
    private static final String ISS = "https://login.example.com/";
    private static final String AUD = "idbsync";

    private static RSAKey rsa1;
    private static RSAKey rsa2;
    private static ECKey ec1;

    @TempDir
    Path dir;

    @BeforeAll
    static void keys() throws JOSEException {
        rsa1 = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        rsa2 = new RSAKeyGenerator(2048).keyID("rsa-2").generate();
        ec1 = new ECKeyGenerator(Curve.P_256).keyID("ec-1").generate();
    }

    // ------------------------------------------------------------------ token builders

    /** A valid claims set for alice, changed by {@code edit}. */
    private static JWTClaimsSet claims(Consumer<JWTClaimsSet.Builder> edit) {
        Instant now = Instant.now();
        JWTClaimsSet.Builder b = new JWTClaimsSet.Builder().subject("alice").issuer(ISS).audience(AUD)
                .expirationTime(Date.from(now.plusSeconds(600))).issueTime(Date.from(now))
                .claim("scope", "notes-app:write notes-app:read");
        edit.accept(b);
        return b.build();
    }

    private static String sign(JWSSigner signer, JWSHeader header, JWTClaimsSet claims) throws JOSEException {
        SignedJWT jwt = new SignedJWT(header, claims);
        jwt.sign(signer);
        return "Bearer " + jwt.serialize();
    }

    private static String hs(Consumer<JWTClaimsSet.Builder> edit) throws JOSEException {
        return sign(new MACSigner(SECRET), new JWSHeader(JWSAlgorithm.HS256), claims(edit));
    }

    private static String rs(RSAKey key, Consumer<JWTClaimsSet.Builder> edit) throws JOSEException {
        return sign(new RSASSASigner(key), new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(),
                claims(edit));
    }

    private static JwtAuthenticator hsAuth() {
        return JwtAuthenticator.hs256(SECRET, ISS, AUD, "scope", 60);
    }

    private static String refused(Authenticator a, String header) {
        AuthException e = assertThrows(AuthException.class, () -> a.authenticate(header));
        String token = header == null ? "" : header.replaceFirst("^Bearer ", "");
        if (token.length() > 20) {
            assertFalse(e.getMessage().contains(token.substring(token.length() - 20)), "the message echoes the token");
        }
        return e.getMessage();
    }

    private Path jwks(String name, JWK... keys) throws IOException {
        Path p = dir.resolve(name);
        Files.writeString(p, new JWKSet(List.of(keys)).toPublicJWKSet().toString());
        return p;
    }

    // ------------------------------------------------------------------ HS256

    @Test
    void aValidTokenGivesTheUserAndTheGrants() throws Exception {
        Principal p = hsAuth().authenticate(hs(b -> { }));
        assertEquals("alice", p.user());
        assertEquals(Set.of("notes-app:write", "notes-app:read"), p.grants());
        assertFalse(p.all());
        assertTrue(p.canWrite("notes-app"));
        assertFalse(p.canWrite("other"));
    }

    @Test
    void theBearerSchemeIsCaseInsensitiveAndAMissingHeaderSaysNoTokenWasSent() throws Exception {
        assertEquals("alice", hsAuth().authenticate(hs(b -> { }).replaceFirst("Bearer", "bearer")).user());
        AuthException none = assertThrows(AuthException.class, () -> hsAuth().authenticate(null));
        assertFalse(none.tokenSent());
        assertEquals("Bearer", none.wwwAuthenticate());
        AuthException basic = assertThrows(AuthException.class, () -> hsAuth().authenticate("Basic YWxpY2U6cHc="));
        assertTrue(basic.getMessage().contains("not a bearer token"), basic.getMessage());
        AuthException empty = assertThrows(AuthException.class, () -> hsAuth().authenticate("Bearer   "));
        assertTrue(empty.getMessage().contains("no bearer token"), empty.getMessage());
    }

    @Test
    void garbageIsMalformedAndMarkedAsASentToken() {
        AuthException e = assertThrows(AuthException.class, () -> hsAuth().authenticate("Bearer not.a.jwt-at-all"));
        assertTrue(e.tokenSent());
        assertEquals("Bearer error=\"invalid_token\"", e.wwwAuthenticate());
        assertTrue(e.getMessage().contains("not a well-formed JWT"), e.getMessage());
    }

    @Test
    void anExpiredTokenIsRefused() throws Exception {
        String m = refused(hsAuth(), hs(b -> b.expirationTime(Date.from(Instant.now().minusSeconds(3600)))));
        assertTrue(m.contains("expired"), m);
    }

    @Test
    void anExpiryWithinTheClockSkewIsAccepted() throws Exception {
        assertEquals("alice", hsAuth().authenticate(hs(b -> b.expirationTime(Date.from(Instant.now().minusSeconds(20)))))
                .user());
    }

    @Test
    void aTokenWithoutExpIsRefused() throws Exception {
        String m = refused(hsAuth(), hs(b -> b.expirationTime(null)));
        assertTrue(m.contains("exp"), m);
    }

    @Test
    void aTokenNotYetValidIsRefused() throws Exception {
        String m = refused(hsAuth(), hs(b -> b.notBeforeTime(Date.from(Instant.now().plusSeconds(3600)))));
        assertTrue(m.contains("not yet valid"), m);
    }

    @Test
    void theWrongIssuerIsRefused() throws Exception {
        String m = refused(hsAuth(), hs(b -> b.issuer("https://evil.example.com/")));
        assertTrue(m.contains("wrong issuer"), m);
        assertTrue(refused(hsAuth(), hs(b -> b.issuer(null))).contains("iss"));
    }

    @Test
    void theWrongAudienceIsRefused() throws Exception {
        String m = refused(hsAuth(), hs(b -> b.audience("another-app")));
        assertTrue(m.contains("audience"), m);
    }

    @Test
    void issuerAndAudienceAreNotCheckedWhenNotConfigured() throws Exception {
        JwtAuthenticator open = JwtAuthenticator.hs256(SECRET, null, null, "scope", 60);
        assertEquals("alice", open.authenticate(hs(b -> b.issuer("anyone").audience((String) null))).user());
    }

    @Test
    void aBadSignatureIsRefused() throws Exception {
        String other = sign(new MACSigner("another-secret-another-secret-another".getBytes(StandardCharsets.UTF_8)),
                new JWSHeader(JWSAlgorithm.HS256), claims(b -> { }));
        String m = refused(hsAuth(), other);
        assertTrue(m.contains("bad signature"), m);
    }

    @Test
    void aTamperedPayloadIsABadSignature() throws Exception {
        String[] parts = hs(b -> { }).split("\\.");
        String forged = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(claims(b -> b.subject("mallory"))
                .toString().getBytes(StandardCharsets.UTF_8));
        String m = refused(hsAuth(), parts[0] + "." + forged + "." + parts[2]);
        assertTrue(m.contains("bad signature"), m);
    }

    @Test
    void algNoneIsRefused() throws Exception {
        String plain = "Bearer " + new PlainJWT(claims(b -> { })).serialize();
        String m = refused(hsAuth(), plain);
        assertTrue(m.contains("alg none"), m);
        // And with a JWKS: no key source takes an unsigned token.
        JwtAuthenticator jwks = JwtAuthenticator.jwksFile(jwks("keys.json", rsa1), ISS, AUD, "scope", 60);
        assertTrue(refused(jwks, plain).contains("alg none"));
    }

    @Test
    void aMissingSubIsRefused() throws Exception {
        String m = refused(hsAuth(), hs(b -> b.subject(null)));
        assertTrue(m.contains("sub"), m);
    }

    @Test
    void anEmptySubIsRefused() throws Exception {
        assertTrue(refused(hsAuth(), hs(b -> b.subject("  "))).contains("sub (the user) is empty"));
    }

    @Test
    void expiryIsCheckedAgainstTheInjectedClockWithTheConfiguredSkew() throws Exception {
        Instant exp = Instant.parse("2026-01-01T00:00:00Z");
        String token = hs(b -> b.expirationTime(Date.from(exp)));
        JwtAuthenticator at = new JwtAuthenticator(Set.of(JWSAlgorithm.HS256),
                new com.nimbusds.jose.jwk.source.ImmutableSecret<>(SECRET), ISS, AUD, "scope", 30,
                java.time.Clock.fixed(exp.plusSeconds(29), java.time.ZoneOffset.UTC));
        assertEquals("alice", at.authenticate(token).user());
        JwtAuthenticator later = new JwtAuthenticator(Set.of(JWSAlgorithm.HS256),
                new com.nimbusds.jose.jwk.source.ImmutableSecret<>(SECRET), ISS, AUD, "scope", 30,
                java.time.Clock.fixed(exp.plusSeconds(31), java.time.ZoneOffset.UTC));
        assertTrue(refused(later, token).contains("expired"));
    }

    @Test
    void anHs256SecretUnder32BytesIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> JwtAuthenticator.hs256("short".getBytes(StandardCharsets.UTF_8), null, null, "scope", 60));
        assertTrue(e.getMessage().contains("at least 32"), e.getMessage());
    }

    // ------------------------------------------------------------------ grants

    @Test
    void scopeAsAnArrayOfStrings() throws Exception {
        Principal p = hsAuth().authenticate(hs(b -> b.claim("scope", List.of("notes-app:read", "todo:write"))));
        assertEquals(Set.of("notes-app:read", "todo:write"), p.grants());
        assertTrue(p.canRead("notes-app"));
        assertFalse(p.canWrite("notes-app"));
    }

    @Test
    void scopeAsAStringWithExtraSpaces() throws Exception {
        Principal p = hsAuth().authenticate(hs(b -> b.claim("scope", "  openid   notes-app:write ")));
        assertEquals(Set.of("openid", "notes-app:write"), p.grants());
    }

    @Test
    void noScopeIsNoGrants() throws Exception {
        Principal p = hsAuth().authenticate(hs(b -> b.claim("scope", null)));
        assertEquals(Set.of(), p.grants());
        assertFalse(p.canRead("notes-app"));
    }

    @Test
    void aScopeOfAnotherTypeIsRefused() throws Exception {
        assertTrue(refused(hsAuth(), hs(b -> b.claim("scope", 7))).contains("scope claim must be"));
        assertTrue(refused(hsAuth(), hs(b -> b.claim("scope", List.of("a", 1)))).contains("scope claim must be"));
    }

    @Test
    void aCustomGrantsClaim() throws Exception {
        JwtAuthenticator a = JwtAuthenticator.hs256(SECRET, ISS, AUD, "idbsync_grants", 60);
        Principal p = a.authenticate(hs(b -> b.claim("idbsync_grants", List.of("notes-app:write"))));
        assertEquals(Set.of("notes-app:write"), p.grants());
    }

    // ------------------------------------------------------------------ JWKS

    @Test
    void rs256AndEs256FromAJwksFile() throws Exception {
        JwtAuthenticator a = JwtAuthenticator.jwksFile(jwks("keys.json", rsa1, ec1), ISS, AUD, "scope", 60);
        assertEquals("alice", a.authenticate(rs(rsa1, b -> { })).user());
        String es = sign(new ECDSASigner(ec1), new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("ec-1").build(),
                claims(b -> b.subject("bob")));
        assertEquals("bob", a.authenticate(es).user());
    }

    @Test
    void hsRsConfusionIsRefused() throws Exception {
        // The classic attack: an HS256 token "signed" with the RSA public key's bytes, which the
        // attacker can read from the JWKS; a verifier that lets the token pick the algorithm
        // would take the public key as the MAC secret.
        JwtAuthenticator a = JwtAuthenticator.jwksFile(jwks("keys.json", rsa1), ISS, AUD, "scope", 60);
        String confused = sign(new MACSigner(rsa1.toRSAPublicKey().getEncoded()),
                new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("rsa-1").build(), claims(b -> { }));
        String m = refused(a, confused);
        assertTrue(m.contains("signed with HS256") && m.contains("accepts only ES256, RS256"), m);
    }

    @Test
    void anRs256TokenIsRefusedWhenHs256IsConfigured() throws Exception {
        String m = refused(hsAuth(), rs(rsa1, b -> { }));
        assertTrue(m.contains("signed with RS256") && m.contains("accepts only HS256"), m);
    }

    @Test
    void aTokenSignedByAnUntrustedRsaKeyWithAKnownKidIsABadSignature() throws Exception {
        JwtAuthenticator a = JwtAuthenticator.jwksFile(jwks("keys.json", rsa1), ISS, AUD, "scope", 60);
        RSAKey impostor = new RSAKeyGenerator(2048).keyID("rsa-1").generate();
        String m = refused(a, rs(impostor, b -> { }));
        assertTrue(m.contains("bad signature"), m);
    }

    @Test
    void anUnknownKidInAJwksFileIsFoundOnceTheFileHasIt() throws Exception {
        Path file = jwks("keys.json", rsa1);
        JwtAuthenticator a = JwtAuthenticator.jwksFile(file, ISS, AUD, "scope", 60);
        assertEquals("alice", a.authenticate(rs(rsa1, b -> { })).user()); // reads and caches the file
        String m = refused(a, rs(rsa2, b -> { }));
        assertTrue(m.contains("no trusted key has the token's kid (rsa-2)"), m);

        jwks("keys.json", rsa1, rsa2); // the issuer rotated: the cached set lacks rsa-2, the file has it
        assertEquals("bob", a.authenticate(rs(rsa2, b -> b.subject("bob"))).user());
        assertEquals("alice", a.authenticate(rs(rsa1, b -> { })).user());
    }

    @Test
    void anUnknownKidRefetchesTheJwksUrl() throws Exception {
        AtomicReference<String> served = new AtomicReference<>(new JWKSet(rsa1).toPublicJWKSet().toString());
        AtomicInteger fetches = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/jwks.json", ex -> {
            fetches.incrementAndGet();
            byte[] body = served.get().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        server.start();
        try {
            URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/jwks.json");
            JwtAuthenticator a = JwtAuthenticator.jwksUrl(url.toURL(), ISS, AUD, "scope", 60);
            assertEquals("alice", a.authenticate(rs(rsa1, b -> { })).user());
            assertEquals("alice", a.authenticate(rs(rsa1, b -> { })).user());
            assertEquals(1, fetches.get(), "a known kid is served from the cache");

            served.set(new JWKSet(List.of(rsa1, rsa2)).toPublicJWKSet().toString());
            assertEquals("bob", a.authenticate(rs(rsa2, b -> b.subject("bob"))).user());
            assertEquals(2, fetches.get(), "an unknown kid fetches the set once more");

            // A kid nobody has, right after a fetch: nimbus's rate limit holds the next fetch
            // back, and the answer is the same as for a kid the fetched set lacks.
            RSAKey stranger = new RSAKeyGenerator(2048).keyID("rsa-9").generate();
            for (int i = 0; i < 3; i++) {
                String m = refused(a, rs(stranger, b -> { }));
                assertTrue(m.contains("no trusted key has the token's kid (rsa-9)"), m);
            }
            assertTrue(fetches.get() <= 4, "unknown kids are rate limited: " + fetches.get() + " fetches");
        } finally {
            server.stop(0);
        }
    }

    @Test
    void anUnreachableJwksUrlIsAnAuthExceptionNotACrash() throws Exception {
        JwtAuthenticator a = JwtAuthenticator.jwksUrl(URI.create("http://127.0.0.1:1/jwks.json").toURL(), ISS, AUD,
                "scope", 60);
        String m = refused(a, rs(rsa1, b -> { }));
        assertTrue(m.contains("could not be fetched"), m);
    }
}
