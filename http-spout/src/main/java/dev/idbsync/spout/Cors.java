package dev.idbsync.spout;

import dev.idbsync.config.HttpConfig;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;

/**
 * CORS for the API (paths under /v1/), for the origins in http.corsOrigins: every answer to such
 * an origin carries Access-Control-Allow-Origin (and exposes Retry-After); a preflight (OPTIONS
 * with Access-Control-Request-Method) is answered 204 here.
 */
final class Cors {
    private static final HttpString ALLOW_ORIGIN = new HttpString("Access-Control-Allow-Origin");
    private static final HttpString EXPOSE_HEADERS = new HttpString("Access-Control-Expose-Headers");
    private static final HttpString ALLOW_METHODS = new HttpString("Access-Control-Allow-Methods");
    private static final HttpString ALLOW_HEADERS = new HttpString("Access-Control-Allow-Headers");
    private static final HttpString MAX_AGE = new HttpString("Access-Control-Max-Age");

    private final HttpConfig config;

    Cors(HttpConfig config) {
        this.config = config;
    }

    /** Adds the CORS headers the exchange's origin gets; true when it was a preflight, answered. */
    boolean answeredPreflight(HttpServerExchange exchange) {
        String origin = exchange.getRequestHeaders().getFirst(Headers.ORIGIN);
        if (!exchange.getRequestPath().startsWith("/v1/") || origin == null || config.corsOrigins().isEmpty()
                || !(config.corsOrigins().contains("*") || config.corsOrigins().contains(origin))) {
            return false;
        }
        var h = exchange.getResponseHeaders();
        h.put(ALLOW_ORIGIN, config.corsOrigins().contains("*") ? "*" : origin);
        h.put(Headers.VARY, "Origin");
        h.put(EXPOSE_HEADERS, "Retry-After");
        if (exchange.getRequestMethod().equals(Methods.OPTIONS)
                && exchange.getRequestHeaders().contains("Access-Control-Request-Method")) {
            h.put(ALLOW_METHODS, "GET, POST");
            h.put(ALLOW_HEADERS, "Content-Type, Authorization");
            h.put(MAX_AGE, "600");
            exchange.setStatusCode(204);
            exchange.endExchange();
            return true;
        }
        return false;
    }
}
