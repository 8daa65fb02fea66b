package dev.idbsync.spout;

import dev.idbsync.auth.AuthException;
import dev.idbsync.auth.Authenticator;
import dev.idbsync.auth.Principal;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;

/**
 * What every API request passes before its route (not GET /health, the static files or a CORS
 * preflight): the bearer token ({@link Authenticator}: 401 {@code unauthorized} with
 * {@code WWW-Authenticate}) and the rate limit of its user, or of its address when auth is off
 * ({@link RateLimits}: 429 {@code rate_limited} with {@code Retry-After}). The request's
 * {@link Principal} is attached to the exchange for the grant and ownership checks after it.
 */
final class Gate {
    private static final AttachmentKey<Principal> PRINCIPAL = AttachmentKey.create(Principal.class);

    /** Auth and rate limits off. */
    static final Gate OPEN = new Gate(Authenticator.NONE, RateLimits.OFF);

    private final Authenticator authenticator;
    private final RateLimits limits;

    Gate(Authenticator authenticator, RateLimits limits) {
        this.authenticator = authenticator;
        this.limits = limits;
    }

    boolean authOn() {
        return authenticator != Authenticator.NONE;
    }

    /**
     * {@code next} behind the checks. A token check may block (a JWKS fetch on an unknown
     * {@code kid}), so with auth on it runs on a worker thread, never on an I/O thread; with auth
     * off nothing here blocks and the exchange stays where it is.
     */
    HttpHandler guard(HttpHandler next) {
        HttpHandler checked = exchange -> {
            if (admit(exchange)) {
                next.handleRequest(exchange);
            }
        };
        if (!authOn()) {
            return checked;
        }
        return exchange -> {
            if (exchange.isInIoThread()) {
                exchange.dispatch(checked);
            } else {
                checked.handleRequest(exchange);
            }
        };
    }

    /** The request's principal; only for a request that passed {@link #guard}. */
    static Principal principal(HttpServerExchange exchange) {
        Principal p = exchange.getAttachment(PRINCIPAL);
        if (p == null) {
            throw new IllegalStateException("no principal: the route was not guarded");
        }
        return p;
    }

    /** 403 {@code forbidden}; the message never says whether a db or a clientId exists. */
    static void forbidden(HttpServerExchange exchange, String message) {
        Responses.error(exchange, 403, "forbidden", message);
    }

    private boolean admit(HttpServerExchange exchange) {
        Principal principal;
        try {
            principal = authenticator.authenticate(exchange.getRequestHeaders().getFirst(Headers.AUTHORIZATION));
        } catch (AuthException e) {
            exchange.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, e.wwwAuthenticate());
            Responses.error(exchange, 401, "unauthorized", e.getMessage());
            return false;
        }
        String who = principal.user() != null ? "user:" + principal.user()
                : "address:" + exchange.getSourceAddress().getAddress().getHostAddress();
        int retryAfter = limits.take(who);
        if (retryAfter > 0) {
            Responses.retryLater(exchange, Refusal.RATE_LIMITED, (principal.user() != null ? "this user" : "this address")
                    + " is over the server's rate limit of " + limits.config().requestsPerSecond()
                    + " requests per second (burst " + limits.config().burst() + "); retry after the Retry-After seconds",
                    retryAfter);
            return false;
        }
        exchange.putAttachment(PRINCIPAL, principal);
        return true;
    }
}
