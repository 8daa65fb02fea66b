package dev.idbsync.config;

import java.io.Serializable;
import java.util.Map;

/**
 * The {@code http.tls} section: the spout serves HTTPS from this keystore. Most clusters
 * terminate TLS at the load balancer and leave it out (then {@link HttpConfig#tls()} is null).
 *
 * @param keyStore            absolute path of the keystore (given relative to the YAML file); every worker host needs it
 * @param keyStorePasswordEnv name of the environment variable holding the keystore's password
 * @param keyStoreType        PKCS12 (the default) or JKS
 */
public record TlsConfig(String keyStore, String keyStorePasswordEnv, String keyStoreType) implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The JDK's default keystore type since Java 9. */
    public static final String DEFAULT_KEY_STORE_TYPE = "PKCS12";

    public TlsConfig {
        Check.notBlank("http.tls.keyStore", keyStore);
        if (keyStorePasswordEnv == null || !keyStorePasswordEnv.matches("[A-Za-z_][A-Za-z0-9_]*")) {
            throw new IllegalArgumentException("http.tls.keyStorePasswordEnv: "
                    + (keyStorePasswordEnv == null ? "missing" : "\"" + keyStorePasswordEnv + "\"")
                    + " is not allowed; give the name of an environment variable (letters, digits and _) that holds"
                    + " the keystore's password, e.g. IDBSYNC_KEYSTORE_PASSWORD");
        }
        keyStoreType = keyStoreType == null ? DEFAULT_KEY_STORE_TYPE : keyStoreType;
        if (!keyStoreType.equals("PKCS12") && !keyStoreType.equals("JKS")) {
            throw new IllegalArgumentException("http.tls.keyStoreType: \"" + keyStoreType + "\" is not allowed; use PKCS12 or JKS");
        }
    }

    /** The {@code http.tls} section of the config file. */
    static TlsConfig fromYaml(Section s) {
        String store = s.string("keyStore");
        String passwordEnv = s.string("keyStorePasswordEnv");
        String[] type = {DEFAULT_KEY_STORE_TYPE};
        s.choice("keyStoreType", Map.of("PKCS12", "PKCS12", "JKS", "JKS"), "PKCS12 or JKS", t -> type[0] = t);
        s.finish();
        if (store == null) {
            throw new IllegalArgumentException(s.key("keyStore") + ": is required with http.tls; give the keystore's"
                    + " path, or remove http.tls to serve plain HTTP behind a TLS-terminating load balancer");
        }
        return new TlsConfig(s.resolve(store).toAbsolutePath().normalize().toString(), passwordEnv, type[0]);
    }
}
