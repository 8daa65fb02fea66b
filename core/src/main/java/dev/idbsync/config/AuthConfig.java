package dev.idbsync.config;

import java.io.Serializable;

/**
 * STAND-IN until h/auth-core lands (the spout codes against these names); deleted at the merge.
 *
 * @param mode {@code none} or {@code jwt}
 * @param hs256SecretEnv the environment variable holding the HS256 secret
 */
public record AuthConfig(String mode, String hs256SecretEnv) implements Serializable {
    public static AuthConfig none() {
        return new AuthConfig("none", null);
    }

    public static AuthConfig hs256(String secretEnv) {
        return new AuthConfig("jwt", secretEnv);
    }

    public boolean configured() {
        return "jwt".equals(mode);
    }
}
