package dev.idbsync.spout;

import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.resource.ClassPathResourceManager;
import io.undertow.server.handlers.resource.ResourceHandler;
import io.undertow.util.Methods;
import io.undertow.util.MimeMappings;

/**
 * Every path that is not an endpoint: the static files of the classpath folder idbsync-web/ (the
 * demo page at / and the browser library at /client/) to GET and HEAD, and 404 in PROTOCOL.md's
 * error shape otherwise.
 */
final class StaticFiles implements HttpHandler {
    private final HttpHandler web = new ResourceHandler(
            new ClassPathResourceManager(StaticFiles.class.getClassLoader(), "idbsync-web"),
            ex -> Responses.error(ex, 404, "not_found", "no such endpoint or file: " + ex.getRequestPath()))
            .setWelcomeFiles("index.html")
            // browsers revalidate, so an upgraded server's library is picked up at once
            .setCacheTime(0)
            .setMimeMappings(MimeMappings.builder(true).addMapping("ts", "application/typescript").build());

    @Override
    public void handleRequest(HttpServerExchange exchange) throws Exception {
        String path = exchange.getRequestPath();
        boolean get = exchange.getRequestMethod().equals(Methods.GET) || exchange.getRequestMethod().equals(Methods.HEAD);
        // folders other than / are not listed: 404 in the usual error shape, not a bare 403
        if (get && (path.equals("/") || !path.endsWith("/")) && !path.equals("/client")) {
            web.handleRequest(exchange);
            return;
        }
        Responses.error(exchange, 404, "not_found", "no such endpoint: " + path
                + " (this server answers POST /v1/sync, GET /v1/changes, GET /v1/rejected and GET /health)");
    }
}
