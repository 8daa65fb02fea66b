package dev.idbsync.config;

import java.io.Serializable;

/** STAND-IN until h/auth-core lands; deleted at the merge. */
public record TlsConfig(String keyStore, String keyStorePasswordEnv, String keyStoreType) implements Serializable {
}
