package dev.idbsync.spout;

import dev.idbsync.config.HttpConfig;
import dev.idbsync.protocol.Names;
import dev.idbsync.protocol.ProtocolException;
import io.undertow.server.HttpServerExchange;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GET /v1/changes and GET /v1/rejected: checks the query (docs/protocol.md), has the handoff read
 * the page from Ignite and answers it. Both block on Ignite, so they run on a worker thread.
 */
final class PageQueries {
    private static final Logger LOG = LoggerFactory.getLogger(PageQueries.class);

    /** Most entries one GET /v1/changes or /v1/rejected returns, and the default of {@code limit}. */
    static final int MAX_REJECTED_PAGE = 1000;
    static final int DEFAULT_REJECTED_PAGE = 500;

    private final HttpConfig config;
    private final SyncHttpServer.Handoff handoff;

    PageQueries(HttpConfig config, SyncHttpServer.Handoff handoff) {
        this.config = config;
        this.handoff = handoff;
    }

    void changes(HttpServerExchange exchange) {
        try {
            String db = db(exchange);
            if (!Gate.principal(exchange).canRead(db)) { // before the db check: says nothing of which dbs exist
                Gate.forbidden(exchange, "this token does not grant reading this db; it needs the scope \"" + db + ":read\"");
                return;
            }
            if (!handoff.knowsDb(db)) {
                throw new ProtocolException(404, "unknown_db", "db: '" + db + "' is not configured on this server");
            }
            int limit = limit(exchange);
            Responses.json(exchange, 200, handoff.changes(db, param(exchange, "since"), limit));
        } catch (ProtocolException e) {
            Responses.error(exchange, e.httpStatus(), e.code(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("GET /v1/changes failed: {}", e.toString());
            Responses.retryLater(exchange, Refusal.FEED_UNREADABLE, "the change feed could not be read from Ignite; retry",
                    config.retryAfterSeconds());
        }
    }

    void rejected(HttpServerExchange exchange) {
        try {
            String db = db(exchange);
            String clientId = param(exchange, "clientId");
            if (!Names.isClientId(clientId)) {
                throw ProtocolException.badRequest("clientId", clientId == null ? "is required"
                        : "must be 1-128 characters of [A-Za-z0-9._:-]");
            }
            long since = 0;
            String s = param(exchange, "since");
            if (s != null) {
                try {
                    since = Long.parseLong(s);
                } catch (NumberFormatException e) {
                    since = -1;
                }
                if (since < 0) {
                    throw new ProtocolException(400, "bad_cursor", "since: \"" + s
                            + "\" is not a cursor this server gave; send the cursor of the last answer, or none");
                }
            }
            int limit = limit(exchange);
            if (!handoff.mayReadRejected(Gate.principal(exchange), db, clientId)) {
                // the same answer for another user's clientId and one never pushed with
                Gate.forbidden(exchange, "only the user who owns this clientId (the first to push with it) may read"
                        + " its rejected changes, and this token's user does not own it");
                return;
            }
            Responses.json(exchange, 200, handoff.rejected(db, clientId, since, limit));
        } catch (ProtocolException e) {
            Responses.error(exchange, e.httpStatus(), e.code(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("GET /v1/rejected failed: {}", e.toString());
            Responses.retryLater(exchange, Refusal.REJECTED_UNREADABLE, "the rejected changes could not be read from Ignite; retry",
                    config.retryAfterSeconds());
        }
    }

    private static String db(HttpServerExchange exchange) {
        String db = param(exchange, "db");
        if (!Names.isName(db)) {
            throw ProtocolException.badRequest("db", db == null ? "is required" : "must be 1-128 characters of [A-Za-z0-9._-]");
        }
        return db;
    }

    private static int limit(HttpServerExchange exchange) {
        int limit = DEFAULT_REJECTED_PAGE;
        String l = param(exchange, "limit");
        if (l != null) {
            try {
                limit = Integer.parseInt(l);
            } catch (NumberFormatException e) {
                limit = 0;
            }
            if (limit < 1) {
                throw ProtocolException.badRequest("limit", "must be a positive integer (at most " + MAX_REJECTED_PAGE + ")");
            }
            limit = Math.min(limit, MAX_REJECTED_PAGE);
        }
        return limit;
    }

    private static String param(HttpServerExchange exchange, String name) {
        var values = exchange.getQueryParameters().get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }
}
