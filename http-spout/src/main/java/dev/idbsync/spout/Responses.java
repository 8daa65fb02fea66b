package dev.idbsync.spout;

import dev.idbsync.protocol.ErrorBody;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

/** Writing answers; every error goes out in PROTOCOL.md's error shape. */
final class Responses {
    private static final HttpString RETRY_AFTER = new HttpString("Retry-After");

    private Responses() {
    }

    static void json(HttpServerExchange exchange, int status, String body) {
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(body);
    }

    static void error(HttpServerExchange exchange, int status, String code, String message) {
        json(exchange, status, ErrorBody.json(code, message));
    }

    /** 429/503: the client should retry after the given seconds; retrying the same request is safe. */
    static void retryLater(HttpServerExchange exchange, int status, String code, String message, int retryAfterSeconds) {
        exchange.getResponseHeaders().put(RETRY_AFTER, Integer.toString(retryAfterSeconds));
        error(exchange, status, code, message);
    }
}
