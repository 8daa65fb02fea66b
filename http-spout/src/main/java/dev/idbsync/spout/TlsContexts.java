package dev.idbsync.spout;

import dev.idbsync.config.TlsConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.function.Function;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/** The listener's {@link SSLContext} when {@code http.tls} is set: the key and certificate chain of a keystore. */
final class TlsContexts {
    private TlsContexts() {
    }

    /**
     * @param env the environment ({@code System::getenv}): the keystore's password is read from the
     *            variable {@code http.tls.keyStorePasswordEnv} names, never from the config file
     */
    static SSLContext load(TlsConfig tls, Function<String, String> env) {
        String password = env.apply(tls.keyStorePasswordEnv());
        if (password == null) {
            throw new IllegalStateException("http.tls.keyStorePasswordEnv: the environment variable "
                    + tls.keyStorePasswordEnv() + " is not set; set it to the password of " + tls.keyStore());
        }
        String type = tls.keyStoreType() == null ? KeyStore.getDefaultType() : tls.keyStoreType();
        try (InputStream in = Files.newInputStream(Path.of(tls.keyStore()))) {
            KeyStore keyStore = KeyStore.getInstance(type);
            keyStore.load(in, password.toCharArray());
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(keyStore, password.toCharArray());
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return context;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException("http.tls.keyStore: " + tls.keyStore() + " (" + type
                    + ") could not be loaded with the password in " + tls.keyStorePasswordEnv() + ": " + e.getMessage(), e);
        }
    }
}
