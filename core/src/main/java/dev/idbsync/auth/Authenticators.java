package dev.idbsync.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.idbsync.config.AuthConfig;
import java.text.ParseException;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/** STAND-IN until h/auth-core lands (HS256 only, nimbus does the checks); deleted at the merge. */
public final class Authenticators {
    private Authenticators() {
    }

    public static Authenticator from(AuthConfig config, Function<String, String> env) {
        if (config == null || !config.configured()) {
            return Authenticator.NONE;
        }
        String secret = env.apply(config.hs256SecretEnv());
        if (secret == null || secret.length() < 32) {
            throw new IllegalStateException("auth.hs256SecretEnv: the environment variable " + config.hs256SecretEnv()
                    + " must hold a secret of at least 32 bytes");
        }
        MACVerifier verifier;
        try {
            verifier = new MACVerifier(secret);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
        return header -> {
            if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
                throw new AuthException("send Authorization: Bearer <token>", header != null);
            }
            try {
                SignedJWT jwt = SignedJWT.parse(header.substring(7).trim());
                if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm()) || !jwt.verify(verifier)) {
                    throw new AuthException("the token's signature is not valid", true);
                }
                JWTClaimsSet c = jwt.getJWTClaimsSet();
                if (c.getExpirationTime() == null || c.getExpirationTime().before(new Date())) {
                    throw new AuthException("the token has expired", true);
                }
                Object scope = c.getClaim("scope");
                Set<String> grants = new HashSet<>();
                if (scope instanceof String s) {
                    grants.addAll(List.of(s.trim().split("\\s+")));
                } else if (scope instanceof List<?> l) {
                    l.forEach(o -> grants.add(String.valueOf(o)));
                }
                return Principal.of(c.getSubject(), grants);
            } catch (ParseException | JOSEException e) {
                throw new AuthException("the token could not be read", true);
            }
        };
    }
}
