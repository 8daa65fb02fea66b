package dev.idbsync.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.idbsync.config.AuthConfig;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AuthenticatorsTest {
    private static final String SECRET = "a-development-secret-of-more-than-32-bytes";

    @Test
    void modeNoneIsTheOpenAuthenticator() {
        assertSame(Authenticator.NONE, Authenticators.from(AuthConfig.absent(), Map.<String, String>of()::get));
        assertSame(Authenticator.NONE, Authenticators.from(AuthConfig.none(), Map.<String, String>of()::get));
    }

    @Test
    void hs256ReadsTheSecretFromTheNamedVariable() throws Exception {
        Authenticator a = Authenticators.from(AuthConfig.hs256("MY_SECRET"), Map.of("MY_SECRET", SECRET)::get);
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject("alice")
                .expirationTime(Date.from(Instant.now().plusSeconds(60))).claim("scope", "notes-app:write").build());
        jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
        Principal p = a.authenticate("Bearer " + jwt.serialize());
        assertEquals("alice", p.user());
        assertTrue(p.canWrite("notes-app"));
    }

    @Test
    void aMissingVariableIsNamed() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Authenticators.from(AuthConfig.hs256("MY_SECRET"), Map.<String, String>of()::get));
        assertTrue(e.getMessage().contains("the environment variable MY_SECRET is not set"), e.getMessage());
    }

    @Test
    void aShortSecretIsRefusedNamingTheVariableButNotTheSecret() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Authenticators.from(AuthConfig.hs256("MY_SECRET"), Map.of("MY_SECRET", "too-short-secret")::get));
        assertTrue(e.getMessage().contains("MY_SECRET holds 16 bytes") && e.getMessage().contains("at least 32"),
                e.getMessage());
        assertTrue(!e.getMessage().contains("too-short-secret"), "the message echoes the secret");
    }
}
