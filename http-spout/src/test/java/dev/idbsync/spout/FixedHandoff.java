package dev.idbsync.spout;

import dev.idbsync.health.HealthMonitor;
import dev.idbsync.protocol.PushRequest;
import io.undertow.server.HttpServerExchange;

/** A handoff for tests of the listener alone: every push answered 200 at once, health ok, every db known, empty pages. */
class FixedHandoff implements SyncHttpServer.Handoff {
    @Override
    public void push(HttpServerExchange exchange, PushRequest request) {
        Responses.replyTo(exchange).json(200, "{\"results\":[]}");
    }

    @Override
    public HealthMonitor.Answer health() {
        return new HealthMonitor.Answer(200, "{\"status\":\"ok\"}");
    }

    @Override
    public boolean knowsDb(String db) {
        return true;
    }

    @Override
    public String changes(String db, String since, int limit) {
        return "{}";
    }

    @Override
    public boolean mayReadRejected(dev.idbsync.auth.Principal principal, String db, String clientId) {
        return true;
    }

    @Override
    public String rejected(String db, String clientId, long since, int limit) {
        return "{}";
    }
}
