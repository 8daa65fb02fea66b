package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.auth.AuthException;
import dev.idbsync.auth.Authenticator;
import dev.idbsync.auth.Principal;
import dev.idbsync.config.HttpConfig;
import dev.idbsync.config.RateLimitConfig;
import dev.idbsync.config.TopologyConfig;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.PushRequest;
import io.github.bucket4j.TimeMeter;
import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The listener with auth on (PROTOCOL.md 1.1): 401 with WWW-Authenticate, 403 that says nothing
 * of which dbs or clientIds exist, the open endpoints, CORS preflights with Authorization, and
 * 429 with Retry-After; on a real Undertow, with a fake token check (the real one is core's).
 */
class SyncHttpServerAuthTest {
    private static final String APP = "http://app.example.test";
    /** "alice" may push and pull notes-app; "bob" may do nothing; anything else is a bad token. */
    private static final Authenticator TOKENS = header -> {
        if (header == null) {
            throw new AuthException("send Authorization: Bearer <token>", false);
        }
        return switch (header) {
            case "Bearer alice" -> Principal.of("alice", Set.of("notes-app:write", "notes-app:read"));
            case "Bearer bob" -> Principal.of("bob", Set.of("other:read"));
            default -> throw new AuthException("the token's signature is not valid", true);
        };
    };

    private final ExecutorService parsers = Executors.newFixedThreadPool(2);
    private final HttpClient client = HttpClient.newHttpClient();
    private final AtomicInteger pushes = new AtomicInteger();
    private final Map<String, String> owners = new HashMap<>(Map.of("notes-app/c-alice", "alice"));
    private SyncHttpServer server;

    private void start(RateLimits limits) {
        var handoff = new FixedHandoff() {
            @Override
            public void push(HttpServerExchange exchange, PushRequest request) {
                pushes.incrementAndGet();
                super.push(exchange, request);
            }

            @Override
            public boolean knowsDb(String db) {
                return db.equals("notes-app");
            }

            @Override
            public boolean mayReadRejected(Principal principal, String db, String clientId) {
                return principal.user().equals(owners.get(db + "/" + clientId));
            }
        };
        server = new SyncHttpServer(HttpConfig.builder().port(0).corsOrigins(List.of(APP)).build(), handoff, parsers,
                System::currentTimeMillis, new Gate(TOKENS, limits), null);
        server.start(0, TopologyConfig.DEFAULT_SPOUT_IO_THREADS, TopologyConfig.DEFAULT_SPOUT_WORKER_THREADS);
    }

    @AfterEach
    void stop() {
        server.stop();
        parsers.shutdownNow();
    }

    private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        Map<String, String> headers = new HashMap<>();
        if (token != null) {
            headers.put("Authorization", "Bearer " + token);
        }
        if (body != null) {
            headers.put("Content-Type", "application/json");
        }
        return send(method, path, headers, body);
    }

    private HttpResponse<String> send(String method, String path, Map<String, String> headers, String body)
            throws IOException, InterruptedException {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(b::header);
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String push(String db) {
        return "{\"db\":\"" + db + "\",\"clientId\":\"c1\",\"sentAt\":1,\"changes\":[{\"seq\":1,\"store\":\"notes\","
                + "\"key\":\"k\",\"op\":\"put\",\"value\":{\"title\":\"t\"},\"baseVersion\":0,\"ts\":1}]}";
    }

    private static JsonNode error(HttpResponse<String> r) throws IOException {
        return Json.MAPPER.readTree(r.body()).get("error");
    }

    private static void assertError(int status, String code, HttpResponse<String> r) throws IOException {
        assertEquals(status, r.statusCode(), r.body());
        assertEquals(code, error(r).get("code").asText(), r.body());
    }

    @Test
    void everyApiEndpointWantsABearerToken() throws Exception {
        start(RateLimits.OFF);
        for (String[] e : new String[][] {{"POST", "/v1/sync"}, {"GET", "/v1/changes?db=notes-app"},
                {"GET", "/v1/rejected?db=notes-app&clientId=c-alice"}}) {
            String body = e[0].equals("POST") ? push("notes-app") : null;
            HttpResponse<String> none = send(e[0], e[1], (String) null, body);
            assertError(401, "unauthorized", none);
            assertEquals("Bearer", none.headers().firstValue("WWW-Authenticate").orElse(null), e[1]);

            HttpResponse<String> bad = send(e[0], e[1], "forged", body);
            assertError(401, "unauthorized", bad);
            assertEquals("Bearer error=\"invalid_token\"", bad.headers().firstValue("WWW-Authenticate").orElse(null));

            assertEquals(200, send(e[0], e[1], "alice", body).statusCode(), e[1]);
        }
        assertEquals(1, pushes.get());
    }

    @Test
    void healthStaticFilesAndPreflightsNeedNoToken() throws Exception {
        start(RateLimits.OFF);
        assertEquals(200, send("GET", "/health", (String) null, null).statusCode());
        assertEquals(200, send("HEAD", "/health", (String) null, null).statusCode());
        assertEquals(200, send("GET", "/", (String) null, null).statusCode(), "the demo page");

        HttpResponse<String> preflight = send("OPTIONS", "/v1/sync", Map.of("Origin", APP,
                "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization, content-type"), null);
        assertEquals(204, preflight.statusCode());
        assertEquals("Content-Type, Authorization", preflight.headers().firstValue("Access-Control-Allow-Headers").orElse(null));
        assertEquals(APP, preflight.headers().firstValue("Access-Control-Allow-Origin").orElse(null));

        HttpResponse<String> other = send("OPTIONS", "/v1/sync", Map.of("Origin", "http://evil.example.test",
                "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization"), null);
        assertFalse(other.headers().firstValue("Access-Control-Allow-Headers").isPresent(), "an origin not configured");
        assertFalse(other.headers().firstValue("Access-Control-Allow-Origin").isPresent());
    }

    @Test
    void aTokenWithoutTheGrantIs403AndSaysNothingOfWhichDbsExist() throws Exception {
        start(RateLimits.OFF);
        HttpResponse<String> configured = send("POST", "/v1/sync", "bob", push("notes-app"));
        HttpResponse<String> unknown = send("POST", "/v1/sync", "bob", push("no-such-db"));
        assertError(403, "forbidden", configured);
        assertError(403, "forbidden", unknown);
        assertEquals(configured.body().replace("notes-app", "X"), unknown.body().replace("no-such-db", "X"));
        assertEquals(0, pushes.get(), "nothing handed on");

        HttpResponse<String> pull = send("GET", "/v1/changes?db=notes-app", "bob", null);
        HttpResponse<String> pullUnknown = send("GET", "/v1/changes?db=no-such-db", "bob", null);
        assertError(403, "forbidden", pull);
        assertEquals(pull.body().replace("notes-app", "X"), pullUnknown.body().replace("no-such-db", "X"));
        // a grant for notes-app does not open another db, configured or not
        assertError(403, "forbidden", send("POST", "/v1/sync", "alice", push("no-such-db")));
    }

    @Test
    void theRejectedLogAnswersItsOwnerOnly() throws Exception {
        start(RateLimits.OFF);
        assertEquals(200, send("GET", "/v1/rejected?db=notes-app&clientId=c-alice", "alice", null).statusCode());
        owners.put("notes-app/c-bob", "bob");
        HttpResponse<String> others = send("GET", "/v1/rejected?db=notes-app&clientId=c-bob", "alice", null);
        HttpResponse<String> never = send("GET", "/v1/rejected?db=notes-app&clientId=c-never", "alice", null);
        assertError(403, "forbidden", others);
        assertEquals(others.body(), never.body(), "a clientId never seen is answered like another user's");
    }

    /** A clock for the rate limits that reads {@code now[0]}: it moves only when the test moves it. */
    static TimeMeter clockAt(long[] now) {
        return new TimeMeter() {
            @Override
            public long currentTimeNanos() {
                return now[0];
            }

            @Override
            public boolean isWallClockBased() {
                return false;
            }
        };
    }

    @Test
    void overTheRateA429WithRetryAfterThenServedAgain() throws Exception {
        long[] now = {0};
        TimeMeter clock = clockAt(now);
        start(new RateLimits(new RateLimitConfig(1, 2), clock));
        assertEquals(200, send("GET", "/v1/changes?db=notes-app", "alice", null).statusCode());
        assertEquals(200, send("POST", "/v1/sync", "alice", push("notes-app")).statusCode());
        HttpResponse<String> limited = send("GET", "/v1/changes?db=notes-app", "alice", null);
        assertError(429, "rate_limited", limited);
        assertEquals("1", limited.headers().firstValue("Retry-After").orElse(null));
        assertEquals(200, send("GET", "/health", (String) null, null).statusCode(), "/health is not limited");
        assertEquals(403, send("GET", "/v1/changes?db=notes-app", "bob", null).statusCode(), "bob has a bucket of his own");
        now[0] += 1_000_000_000L;
        assertEquals(200, send("GET", "/v1/changes?db=notes-app", "alice", null).statusCode(), "served again");
        assertNull(send("GET", "/health", (String) null, null).headers().firstValue("Retry-After").orElse(null));
    }

    /**
     * A push refused by the gate (401 or 429) is answered before its body is read, and Undertow
     * drops the body after the answer. Over one keep-alive connection, bodies of 1 byte to 256 KiB
     * (more than the socket buffers hold), the headers and the body sent together or apart, the
     * next request sent after the refusal or right behind the body: every refusal is answered, and
     * the request after it on the same connection gets its own answer.
     */
    @Test
    void aPushRefusedBeforeItsBodyIsReadLeavesTheConnectionInStep() throws Exception {
        long[] now = {0};
        TimeMeter clock = clockAt(now);
        start(new RateLimits(new RateLimitConfig(1, 1), clock));
        java.util.Random rnd = new java.util.Random(7);
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", server.port())) {
            s.setTcpNoDelay(true);
            s.setSoTimeout(5_000);
            java.io.InputStream in = new java.io.BufferedInputStream(s.getInputStream());
            for (int i = 0; i < 120; i++) {
                int size = switch (i % 3) {
                    case 0 -> 1;
                    case 1 -> 1 + rnd.nextInt(16 * 1024);
                    default -> 256 * 1024;
                };
                // no token (401), a bad one (401), or alice over her rate (429: a bucket of 1, the clock stands still)
                String token = switch (i % 4) {
                    case 0 -> null;
                    case 1 -> "forged";
                    default -> "alice";
                };
                String refused = rawSend(s, "POST", "/v1/sync", token, "x".repeat(size), i % 2 == 0);
                boolean pipelined = i % 5 == 0; // the next request sent before the refusal is read
                if (pipelined) {
                    rawSend(s, "GET", "/health", null, null, false);
                }
                String a = SyncHttpServerKeepAliveTest.readAnswer(in);
                int expected = token == null || token.equals("forged") ? 401 : 429;
                if (expected == 429 && i == 2) {
                    expected = 400; // alice's first request takes her one token, and "xxx" is no push
                }
                assertEquals("HTTP/1.1 " + expected, a.substring(0, 12), "request " + i + " (" + refused + "): " + a);
                if (!pipelined) {
                    rawSend(s, "GET", "/health", null, null, false);
                }
                String health = SyncHttpServerKeepAliveTest.readAnswer(in);
                assertEquals("HTTP/1.1 200", health.substring(0, 12), "the request after " + i + ": " + health);
            }
        }
    }

    /** A request on a raw socket; with {@code apart}, the body goes out 2 ms after the headers. */
    private static String rawSend(java.net.Socket s, String method, String path, String token, String body, boolean apart)
            throws IOException {
        StringBuilder head = new StringBuilder(method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n");
        if (token != null) {
            head.append("Authorization: Bearer ").append(token).append("\r\n");
        }
        byte[] b = body == null ? new byte[0] : body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        if (body != null) {
            head.append("Content-Type: application/json\r\nContent-Length: ").append(b.length).append("\r\n");
        }
        head.append("\r\n");
        java.io.OutputStream os = s.getOutputStream();
        os.write(head.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        os.flush();
        if (apart) {
            java.util.concurrent.locks.LockSupport.parkNanos(2_000_000);
        }
        os.write(b);
        os.flush();
        return method + " " + path + ", " + b.length + " bytes" + (token == null ? "" : ", token " + token);
    }
}
