package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.config.HttpConfig;
import dev.idbsync.config.TlsConfig;
import dev.idbsync.config.TopologyConfig;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** http.tls: the listener serves HTTPS from a keystore made here with keytool. */
class SyncHttpServerTlsTest {
    private static final String PASSWORD = "test-keystore-pass";

    @TempDir
    Path dir;

    private Path keyStore() throws Exception {
        Path ks = dir.resolve("spout.p12");
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "spout", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
                "-dname", "CN=localhost", "-ext", "san=ip:127.0.0.1,dns:localhost", "-storetype", "PKCS12",
                "-keystore", ks.toString(), "-storepass", PASSWORD, "-keypass", PASSWORD)
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, out);
        return ks;
    }

    /** A client that trusts exactly the keystore's certificate. */
    private static HttpClient trusting(Path ks) throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(ks)) {
            trust.load(in, PASSWORD.toCharArray());
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ctx).build();
    }

    @Test
    void healthOverHttps() throws Exception {
        Path ks = keyStore();
        TlsConfig tls = new TlsConfig(ks.toString(), "SPOUT_KEYSTORE_PASSWORD", "PKCS12");
        SSLContext context = TlsContexts.load(tls, Map.of("SPOUT_KEYSTORE_PASSWORD", PASSWORD)::get);
        ExecutorService parsers = Executors.newFixedThreadPool(1);
        SyncHttpServer server = new SyncHttpServer(HttpConfig.builder().port(0).tls(tls).build(), new FixedHandoff(),
                parsers, System::currentTimeMillis, Gate.OPEN, context);
        server.start(0, TopologyConfig.DEFAULT_SPOUT_IO_THREADS, TopologyConfig.DEFAULT_SPOUT_WORKER_THREADS);
        try {
            assertEquals("https", server.scheme());
            HttpResponse<String> r = trusting(ks).send(HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + server.port() + "/health")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            assertEquals("{\"status\":\"ok\"}", r.body());
            assertThrows(java.io.IOException.class, () -> HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + server.port() + "/health")).build(), HttpResponse.BodyHandlers.ofString()),
                    "no plain HTTP on the port");
        } finally {
            server.stop();
            parsers.shutdownNow();
        }
    }

    @Test
    void aMissingPasswordVariableNamesIt() {
        TlsConfig tls = new TlsConfig(dir.resolve("none.p12").toString(), "NO_SUCH_VAR", "PKCS12");
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> TlsContexts.load(tls, k -> null));
        assertTrue(e.getMessage().contains("NO_SUCH_VAR"), e.getMessage());
    }
}
