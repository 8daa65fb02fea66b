package dev.idbsync.topology.it;

import static dev.idbsync.topology.it.Push.note;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.idbsync.config.AuthConfig;
import dev.idbsync.config.RateLimitConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.ignite.SyncCaches;
import dev.idbsync.ignite.ThinClientFactory;
import java.nio.file.Path;
import java.util.Date;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Auth on (PROTOCOL.md 1.1, "Authentication and scoping") over real HTTP through a LocalCluster
 * into a real Ignite node, with HS256 tokens minted here with nimbus: 401 and 403 on every
 * endpoint, clientIds bound to their first user (also across a restart on the same data),
 * the rejected log for its owner only, and rate limits answered 429 then served again.
 * The secret is in the environment variable {@value #SECRET_ENV}, which the failsafe run sets
 * (topology/pom.xml); the spout reads it as it would in production.
 */
@Tag("integration")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AuthIT {
    static final String SECRET_ENV = "IDBSYNC_IT_JWT_SECRET";
    private static final String CACHE = "notes-app.notes";
    private static final String BOTH = "notes-app:write notes-app:read";

    @TempDir
    static Path dir;
    private SyncConfig config;
    private TestStack stack;

    @BeforeAll
    void start() throws Exception {
        assertNotNull(System.getenv(SECRET_ENV), "run by failsafe, which sets " + SECRET_ENV);
        // A burst far above what one test sends in a second; the rate test uses a user of its own.
        config = TestStack.localConfig(dir.resolve("data"), b -> b.auth(AuthConfig.hs256(SECRET_ENV))
                .rateLimit(new RateLimitConfig(2, 40)));
        stack = TestStack.start(config, ThinClientFactory::new);
    }

    @AfterAll
    void stop() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    static String token(String user, String scope, String secret) {
        try {
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), new JWTClaimsSet.Builder().subject(user)
                    .claim("scope", scope).expirationTime(new Date(System.currentTimeMillis() + 600_000)).build());
            jwt.sign(new MACSigner(secret));
            return jwt.serialize();
        } catch (com.nimbusds.jose.JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    static String token(String user, String scope) {
        return token(user, scope, System.getenv(SECRET_ENV));
    }

    private Http.Answer call(String method, String path, String token, String body) {
        Map<String, String> headers = new HashMap<>();
        if (token != null) {
            headers.put("Authorization", "Bearer " + token);
        }
        if (body != null) {
            headers.put("Content-Type", "application/json");
        }
        return stack.http.request(method, path, headers, body);
    }

    private Http.Answer push(String token, Push push) {
        return call("POST", "/v1/sync", token, push.json());
    }

    private static void assertError(int status, String code, Http.Answer a) {
        assertEquals(status, a.status(), a.toString());
        assertEquals(code, a.errorCode(), a.toString());
    }

    @Test
    @Order(1)
    void everyEndpointWantsAGoodTokenWithItsGrant() {
        String alice = token("alice", BOTH);
        String[][] endpoints = {{"POST", "/v1/sync"}, {"GET", "/v1/changes?db=notes-app"},
                {"GET", "/v1/rejected?db=notes-app&clientId=c-alice"}};
        for (String[] e : endpoints) {
            String body = e[0].equals("POST") ? Push.to("notes-app").client("c-alice").put("notes", "a-1", note("a")).json() : null;
            Http.Answer none = call(e[0], e[1], null, body);
            assertError(401, "unauthorized", none);
            assertEquals("Bearer", none.header("WWW-Authenticate"), e[1]);

            Http.Answer forged = call(e[0], e[1], token("alice", BOTH, "another-secret-of-at-least-32-bytes!!"), body);
            assertError(401, "unauthorized", forged);
            assertEquals("Bearer error=\"invalid_token\"", forged.header("WWW-Authenticate"), e[1]);
            assertError(401, "unauthorized", call(e[0], e[1], "not.a.jwt", body));

            // without the grant: bob may only read another db; for the rejected log, bob is not the owner
            assertError(403, "forbidden", call(e[0], e[1], token("bob", "other-db:read"), body));

            assertEquals(200, call(e[0], e[1], alice, body).status(), e[1]);
        }
        assertEquals(200, call("GET", "/health", null, null).status(), "GET /health needs no token");
        assertEquals("alice", stack.reader().<String, String>cache(SyncCaches.OWNERS_CACHE).get("notes-app/c-alice"));
    }

    @Test
    @Order(2)
    void aWriteGrantDoesNotReadAndADbNotConfiguredIsAnswered403Alike() {
        String writer = token("wanda", "notes-app:write");
        assertError(403, "forbidden", call("GET", "/v1/changes?db=notes-app", writer, null));
        Http.Answer configured = push(token("bob", "other-db:write"), Push.to("notes-app").client("c-b").put("notes", "b", note("b")));
        Http.Answer unknown = push(token("bob", "other-db:write"), Push.to("no-such-db").client("c-b").put("notes", "b", note("b")));
        assertError(403, "forbidden", configured);
        assertEquals(configured.body().replace("notes-app", "X"), unknown.body().replace("no-such-db", "X"));
    }

    @Test
    @Order(3)
    void anotherUsersClientIdIs403AndNothingOfItIsApplied() {
        String alice = token("alice", BOTH);
        Http.Answer first = push(alice, Push.to("notes-app").client("c-owned").put("notes", "own-1", note("mine")));
        assertEquals("applied", first.results().get(0).get("status").asText(), first.toString());

        Http.Answer stolen = push(token("mallory", BOTH), Push.to("notes-app").client("c-owned").from(2)
                .put("notes", "own-2", note("not mine")).put("notes", "own-3", note("not mine")));
        assertError(403, "forbidden", stolen);
        assertTrue(stolen.json().at("/error/message").asText().contains("belongs to another user"), stolen.toString());
        assertNull(stack.record(CACHE, "\"own-2\""), "nothing of it reaches Ignite");
        assertNull(stack.record(CACHE, "\"own-3\""));

        Http.Answer next = push(alice, Push.to("notes-app").client("c-owned").from(2).put("notes", "own-2", note("mine too")));
        assertEquals(200, next.status(), next.toString());
        assertEquals("applied", next.results().get(0).get("status").asText(), "the owner's seq 2 was not used up");
        assertNotNull(stack.record(CACHE, "\"own-2\""));
    }

    @Test
    @Order(4)
    void theRejectedLogAnswersItsOwnerOnly() {
        String alice = token("alice", BOTH);
        Http.Answer rejected = push(alice, Push.to("notes-app").client("c-rej").put("notes", "r-1",
                com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode().put("done", true)));
        assertEquals("rejected", rejected.results().get(0).get("status").asText(), rejected.toString());
        Http.Answer own = call("GET", "/v1/rejected?db=notes-app&clientId=c-rej", alice, null);
        assertEquals(200, own.status(), own.toString());
        assertEquals(1, own.json().get("rejected").size(), own.toString());

        Http.Answer others = call("GET", "/v1/rejected?db=notes-app&clientId=c-rej", token("mallory", BOTH), null);
        Http.Answer never = call("GET", "/v1/rejected?db=notes-app&clientId=c-never-seen", token("mallory", BOTH), null);
        assertError(403, "forbidden", others);
        assertEquals(others.body(), never.body(), "a clientId never seen is answered like another user's");
    }

    @Test
    @Order(5)
    void overTheRateA429WithRetryAfterThenServedAgain() throws Exception {
        String greedy = token("greedy", BOTH);
        Http.Answer limited = null;
        for (int i = 0; i < 200 && limited == null; i++) {
            Http.Answer a = call("GET", "/v1/changes?db=notes-app&limit=1", greedy, null);
            if (a.status() == 429) {
                limited = a;
            } else {
                assertEquals(200, a.status(), a.toString());
            }
        }
        assertNotNull(limited, "no 429 after 200 requests at a rate of 2/s, burst 40");
        assertError(429, "rate_limited", limited);
        int retryAfter = Integer.parseInt(limited.retryAfter());
        assertEquals(1, retryAfter, "a token comes back within 0.5 s at 2/s: 1 s, rounded up");
        assertEquals(200, call("GET", "/v1/changes?db=notes-app", token("alice", BOTH), null).status(),
                "another user is not limited by greedy's bucket");
        Thread.sleep(retryAfter * 1000L);
        assertEquals(200, call("GET", "/v1/changes?db=notes-app&limit=1", greedy, null).status(), "served again");
    }

    @Test
    @Order(6)
    void theBindingSurvivesARestartOnTheSameData() throws Exception {
        String alice = token("alice", BOTH);
        assertEquals(200, push(alice, Push.to("notes-app").client("c-kept").put("notes", "k-1", note("before"))).status());
        stack.close();
        stack = null;
        stack = TestStack.start(config, ThinClientFactory::new); // the same data dir and ports

        Http.Answer stolen = push(token("mallory", BOTH), Push.to("notes-app").client("c-kept").from(2)
                .put("notes", "k-2", note("not mine")));
        assertError(403, "forbidden", stolen);
        assertNull(stack.record(CACHE, "\"k-2\""));
        Http.Answer next = push(alice, Push.to("notes-app").client("c-kept").from(2).put("notes", "k-2", note("after")));
        assertEquals("applied", next.results().get(0).get("status").asText(), next.toString());
    }
}
