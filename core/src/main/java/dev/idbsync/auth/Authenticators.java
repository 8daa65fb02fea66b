package dev.idbsync.auth;

import dev.idbsync.config.AuthConfig;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Function;

/** Makes a spout task's {@link Authenticator} from the config's {@code auth} section. */
public final class Authenticators {
    private Authenticators() {
    }

    /**
     * {@link Authenticator#NONE} when auth is off, else a {@link JwtAuthenticator} on the one
     * configured key source.
     *
     * @param env reads an environment variable (System::getenv; tests hand in a map's get)
     * @throws IllegalStateException the HS256 secret's variable is unset or shorter than 32 bytes
     */
    public static Authenticator from(AuthConfig config, Function<String, String> env) {
        if (!config.enabled()) {
            return Authenticator.NONE;
        }
        String iss = config.issuer();
        String aud = config.audience();
        String claim = config.grantsClaim();
        int skew = config.clockSkewSeconds();
        if (config.hs256SecretEnv() != null) {
            String name = config.hs256SecretEnv();
            String secret = env.apply(name);
            if (secret == null || secret.isEmpty()) {
                throw new IllegalStateException("auth.hs256SecretEnv: the environment variable " + name + " is not set;"
                        + " export it with a random secret of at least " + JwtAuthenticator.MIN_SECRET_BYTES
                        + " bytes, e.g. export " + name + "=$(head -c 32 /dev/urandom | base64)");
            }
            byte[] bytes = secret.getBytes(StandardCharsets.UTF_8);
            if (bytes.length < JwtAuthenticator.MIN_SECRET_BYTES) {
                throw new IllegalStateException("auth.hs256SecretEnv: the environment variable " + name + " holds "
                        + bytes.length + " bytes; HS256 needs a secret of at least " + JwtAuthenticator.MIN_SECRET_BYTES
                        + " bytes, e.g. export " + name + "=$(head -c 32 /dev/urandom | base64)");
            }
            return JwtAuthenticator.hs256(bytes, iss, aud, claim, skew);
        }
        if (config.jwksFile() != null) {
            return JwtAuthenticator.jwksFile(Path.of(config.jwksFile()), iss, aud, claim, skew);
        }
        try {
            return JwtAuthenticator.jwksUrl(URI.create(config.jwksUrl()).toURL(), iss, aud, claim, skew);
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("auth.jwksUrl: \"" + config.jwksUrl() + "\" is not a URL", e);
        }
    }
}
