package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.config.HttpConfig;
import dev.idbsync.config.TopologyConfig;
import dev.idbsync.health.HealthMonitor;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.PushRequest;
import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Every route's answers, methods and errors on a real Undertow on loopback, with a handoff that
 * answers at once: what the listener answers itself, before any topology.
 */
class SyncHttpServerRoutesTest {
    private static final String PUSH = "{\"db\":\"notes-app\",\"clientId\":\"c1\",\"sentAt\":1,\"changes\":[{\"seq\":1,"
            + "\"store\":\"notes\",\"key\":\"k\",\"op\":\"put\",\"value\":{\"title\":\"t\"},\"baseVersion\":0,\"ts\":1}]}";
    private static final String APP = "http://app.example.test";

    private final ExecutorService parsers = Executors.newFixedThreadPool(2);
    private final HttpClient client = HttpClient.newHttpClient();
    private final Answers handoff = new Answers();
    private SyncHttpServer server;

    @BeforeEach
    void start() {
        server = new SyncHttpServer(HttpConfig.builder().port(0).corsOrigins(List.of(APP)).build(), handoff, parsers,
                System::currentTimeMillis);
        server.start(0, TopologyConfig.DEFAULT_SPOUT_IO_THREADS, TopologyConfig.DEFAULT_SPOUT_WORKER_THREADS);
    }

    @AfterEach
    void stop() {
        server.stop();
        parsers.shutdownNow();
    }

    private HttpResponse<String> send(String method, String path, Map<String, String> headers, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> send(String method, String path) throws IOException, InterruptedException {
        return send(method, path, Map.of(), null);
    }

    private static JsonNode error(HttpResponse<String> r) throws IOException {
        return Json.MAPPER.readTree(r.body()).get("error");
    }

    private static void assertNotAllowed(HttpResponse<String> r, String allow, String message) throws IOException {
        assertEquals(405, r.statusCode(), r.body());
        assertEquals(allow, r.headers().firstValue("Allow").orElse(null));
        if (!r.request().method().equals("HEAD")) {
            assertEquals("method_not_allowed", error(r).get("code").asText());
            assertEquals(message, error(r).get("message").asText());
        }
    }

    @Test
    void aPushIsHandedOffAndOtherMethodsAre405WithAllowPost() throws Exception {
        HttpResponse<String> ok = send("POST", "/v1/sync", Map.of("Content-Type", "application/json"), PUSH);
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(1, handoff.pushes);
        for (String m : List.of("GET", "PUT", "DELETE", "OPTIONS", "HEAD")) {
            assertNotAllowed(send(m, "/v1/sync"), "POST", "/v1/sync takes POST");
        }
        HttpResponse<String> text = send("POST", "/v1/sync", Map.of("Content-Type", "text/plain"), PUSH);
        assertEquals(415, text.statusCode());
        assertEquals("unsupported_media_type", error(text).get("code").asText());
        assertEquals(1, handoff.pushes);
    }

    @Test
    void healthAnswersGetAndHeadFromTheHandoffAndOthers405() throws Exception {
        HttpResponse<String> ok = send("GET", "/health");
        assertEquals(200, ok.statusCode());
        assertEquals("{\"status\":\"ok\"}", ok.body());
        assertFalse(ok.headers().firstValue("Retry-After").isPresent());
        HttpResponse<String> head = send("HEAD", "/health");
        assertEquals(200, head.statusCode());
        assertEquals("", head.body());
        for (String m : List.of("POST", "PUT", "OPTIONS")) {
            assertNotAllowed(send(m, "/health"), "GET, HEAD", "/health takes GET");
        }
        handoff.health = new HealthMonitor.Answer(503, "{\"status\":\"down\"}");
        HttpResponse<String> down = send("GET", "/health");
        assertEquals(503, down.statusCode());
        assertEquals("1", down.headers().firstValue("Retry-After").orElse(null));
    }

    @Test
    void thePagesTakeGetOnlyAndCheckTheirQuery() throws Exception {
        for (String path : List.of("/v1/changes", "/v1/rejected")) {
            for (String m : List.of("POST", "HEAD", "DELETE", "OPTIONS")) {
                assertNotAllowed(send(m, path + "?db=notes-app&clientId=c1"), "GET", path + " takes GET");
            }
        }
        HttpResponse<String> changes = send("GET", "/v1/changes?db=notes-app&since=c1.x&limit=5000");
        assertEquals(200, changes.statusCode());
        assertEquals("{\"changes\":[]}", changes.body());
        assertEquals("notes-app c1.x 1000", handoff.lastQuery);
        assertEquals(400, send("GET", "/v1/changes").statusCode());
        assertEquals("unknown_db", error(send("GET", "/v1/changes?db=other")).get("code").asText());
        assertEquals(404, send("GET", "/v1/changes?db=other").statusCode());
        assertEquals(400, send("GET", "/v1/changes?db=notes-app&limit=0").statusCode());

        HttpResponse<String> rejected = send("GET", "/v1/rejected?db=notes-app&clientId=c1&since=3");
        assertEquals(200, rejected.statusCode());
        assertEquals("notes-app c1 3 500", handoff.lastQuery);
        assertEquals("bad_cursor", error(send("GET", "/v1/rejected?db=notes-app&clientId=c1&since=x")).get("code").asText());
        assertEquals("clientId: is required", error(send("GET", "/v1/rejected?db=notes-app")).get("message").asText());
        handoff.readsFail = true;
        HttpResponse<String> down = send("GET", "/v1/rejected?db=notes-app&clientId=c1");
        assertEquals(503, down.statusCode());
        assertEquals("1", down.headers().firstValue("Retry-After").orElse(null));
    }

    @Test
    void theDemoPageAndTheLibraryAreServedAndEveryOtherPathIs404() throws Exception {
        HttpResponse<String> page = send("GET", "/");
        assertEquals(200, page.statusCode());
        assertTrue(page.body().toLowerCase().contains("<html"), page.body());
        assertEquals(200, send("HEAD", "/").statusCode());
        HttpResponse<String> lib = send("GET", "/client/idbsync.js");
        assertEquals(200, lib.statusCode());
        assertTrue(lib.body().contains("openSync"));
        assertEquals("0", cacheMaxAge(lib));

        for (String path : List.of("/client/", "/client", "/v1/sync/", "/v1/")) {
            HttpResponse<String> r = send("GET", path);
            assertEquals(404, r.statusCode(), path);
            assertEquals("no such endpoint: " + path + " (this server answers POST /v1/sync, GET /v1/changes,"
                    + " GET /v1/rejected and GET /health)", error(r).get("message").asText());
        }
        HttpResponse<String> post = send("POST", "/index.html", Map.of("Content-Type", "application/json"), "{}");
        assertEquals(404, post.statusCode());
        assertTrue(error(post).get("message").asText().startsWith("no such endpoint: /index.html"));
        for (String path : List.of("/nothing", "/v1/other", "/client/nothing.js")) {
            HttpResponse<String> r = send("GET", path);
            assertEquals(404, r.statusCode(), path);
            assertEquals("not_found", error(r).get("code").asText());
            assertEquals("no such endpoint or file: " + path, error(r).get("message").asText());
        }
    }

    private static String cacheMaxAge(HttpResponse<String> r) {
        String cc = r.headers().firstValue("Cache-Control").orElse("");
        return cc.replaceAll(".*max-age=(\\d+).*", "$1");
    }

    @Test
    void aConfiguredOriginGetsCorsOnTheApiAndItsPreflightIs204() throws Exception {
        for (String path : List.of("/v1/sync", "/v1/changes", "/v1/anything")) {
            HttpResponse<String> pre = send("OPTIONS", path, Map.of("Origin", APP, "Access-Control-Request-Method", "POST"), null);
            assertEquals(204, pre.statusCode(), path);
            assertEquals(APP, pre.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
            assertEquals("GET, POST", pre.headers().firstValue("Access-Control-Allow-Methods").orElse(null));
            assertEquals("Content-Type, Authorization", pre.headers().firstValue("Access-Control-Allow-Headers").orElse(null));
            assertEquals("600", pre.headers().firstValue("Access-Control-Max-Age").orElse(null));
            assertEquals("Origin", pre.headers().firstValue("Vary").orElse(null));
        }
        HttpResponse<String> get = send("GET", "/v1/changes?db=notes-app", Map.of("Origin", APP), null);
        assertEquals(200, get.statusCode());
        assertEquals(APP, get.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
        assertEquals("Retry-After", get.headers().firstValue("Access-Control-Expose-Headers").orElse(null));
        HttpResponse<String> notAllowed = send("PUT", "/v1/changes", Map.of("Origin", APP), null);
        assertEquals(405, notAllowed.statusCode());
        assertEquals(APP, notAllowed.headers().firstValue("Access-Control-Allow-Origin").orElse(null));

        HttpResponse<String> other = send("OPTIONS", "/v1/sync", Map.of("Origin", "http://evil.example",
                "Access-Control-Request-Method", "POST"), null);
        assertNotAllowed(other, "POST", "/v1/sync takes POST");
        assertFalse(other.headers().firstValue("Access-Control-Allow-Origin").isPresent());
        HttpResponse<String> health = send("OPTIONS", "/health", Map.of("Origin", APP, "Access-Control-Request-Method", "GET"), null);
        assertNotAllowed(health, "GET, HEAD", "/health takes GET");
        assertFalse(health.headers().firstValue("Access-Control-Allow-Origin").isPresent(), "CORS is for /v1/ only");
    }

    private static final class Answers implements SyncHttpServer.Handoff {
        volatile int pushes;
        volatile String lastQuery;
        volatile boolean readsFail;
        volatile HealthMonitor.Answer health = new HealthMonitor.Answer(200, "{\"status\":\"ok\"}");

        @Override
        public void push(HttpServerExchange exchange, PushRequest request) {
            pushes++;
            Responses.replyTo(exchange).json(200, "{\"results\":[]}");
        }

        @Override
        public HealthMonitor.Answer health() {
            return health;
        }

        @Override
        public boolean knowsDb(String db) {
            return db.equals("notes-app");
        }

        @Override
        public String changes(String db, String since, int limit) {
            lastQuery = db + " " + since + " " + limit;
            return "{\"changes\":[]}";
        }

        @Override
        public boolean mayReadRejected(dev.idbsync.auth.Principal principal, String db, String clientId) {
            return true;
        }

        @Override
        public String rejected(String db, String clientId, long since, int limit) {
            if (readsFail) {
                throw new IllegalStateException("Ignite is down");
            }
            lastQuery = db + " " + clientId + " " + since + " " + limit;
            return "{\"rejected\":[]}";
        }
    }
}
