package dev.idbsync.spout;

import dev.idbsync.config.HttpConfig;
import dev.idbsync.protocol.EnvelopeParser;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Names;
import dev.idbsync.protocol.ProtocolException;
import dev.idbsync.protocol.PushRequest;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.handlers.resource.ClassPathResourceManager;
import io.undertow.server.handlers.resource.ResourceHandler;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.Options;
import org.xnio.XnioExecutor;

/**
 * The spout's Undertow listener. It answers what needs no topology itself (routing, content
 * type, the body limit, PROTOCOL.md's structural rules, health) and hands each well-formed push
 * to a {@link Handoff}, which answers it later from another thread.
 */
final class SyncHttpServer {
    private static final Logger LOG = LoggerFactory.getLogger(SyncHttpServer.class);

    /** What the spout does with a push that passed the envelope rules. */
    interface Handoff {
        /** Takes the push and answers it later, or answers it now (overload, inactive). */
        void push(HttpServerExchange exchange, PushRequest request);

        /** GET /health's answer, from the latest sink checks; never blocks. */
        dev.idbsync.health.HealthMonitor.Answer health();

        /** Whether the db is configured. */
        boolean knowsDb(String db);

        /** The body of GET /v1/changes for a checked query; may block on Ignite. */
        String changes(String db, String since, int limit);

        /** The body of GET /v1/rejected for a checked query; may block on Ignite. */
        String rejected(String db, String clientId, long since, int limit);
    }

    /** Bytes of an oversized body read and dropped before the connection is cut. */
    static final long DRAIN_LIMIT = 64L * 1024 * 1024;
    /**
     * Bodies waiting for a parse thread (the spout's executor holds this many in its queue); past
     * it a push gets 503. Two threads parse a 4 MiB body in tens of ms, so a full queue is a
     * second or more of backlog; the body budget bounds the bytes those bodies hold.
     */
    static final int PARSE_QUEUE = 64;
    /**
     * The most bytes of request line and headers; past it Undertow answers 400 and closes.
     * Undertow's default is 1 MiB, held per connection while headers arrive (within
     * http.headerTimeoutMs): times http.maxConnections, most of a heap. A browser's are a few KiB.
     */
    static final int MAX_HEADER_BYTES = 64 * 1024;

    private final HttpConfig config;
    private final EnvelopeParser parser;
    private final Handoff handoff;
    private final Executor parseExecutor;
    private final LongSupplier clock;
    private final BodyBudget budget;
    /** Static files from the classpath folder idbsync-web/: the demo page and the browser library. */
    private final HttpHandler web = new ResourceHandler(
            new ClassPathResourceManager(SyncHttpServer.class.getClassLoader(), "idbsync-web"),
            ex -> Responses.error(ex, 404, "not_found", "no such endpoint or file: " + ex.getRequestPath()))
            .setWelcomeFiles("index.html")
            // browsers revalidate, so an upgraded server's library is picked up at once
            .setCacheTime(0)
            .setMimeMappings(io.undertow.util.MimeMappings.builder(true).addMapping("ts", "application/typescript").build());
    private Undertow undertow;
    /** The listener's counters (open connections). */
    private volatile io.undertow.server.ConnectorStatistics stats;
    private int boundPort;

    SyncHttpServer(HttpConfig config, Handoff handoff, Executor parseExecutor, LongSupplier clock) {
        this.config = config;
        this.parser = new EnvelopeParser(config.maxChangesPerRequest(), handoff::knowsDb);
        this.handoff = handoff;
        this.parseExecutor = parseExecutor;
        this.clock = clock;
        this.budget = new BodyBudget(config.maxBufferedBodyBytes());
    }

    void start(int port, int ioThreads, int workerThreads) {
        undertow = Undertow.builder()
                .addHttpListener(port, config.host())
                // topology.spoutIoThreads/spoutWorkerThreads; parsing runs on parseExecutor.
                .setIoThreads(ioThreads)
                .setWorkerThreads(workerThreads)
                // Undertow fixes a chunked body's cap when the request starts, from this option
                // (HttpServerExchange#setMaxEntitySize comes too late for it); see push().
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, DRAIN_LIMIT)
                // Bounds on every connection (docs/architecture.md, "The HTTP listener"). At
                // maxConnections XNIO stops accepting, and accepts again when one closes; new
                // connections wait in the kernel's accept backlog meanwhile. Both marks are the
                // cap: XNIO 3.8's per-thread handle takes them in the other order (it stops at
                // the low mark and resumes below the high one), so unequal marks would cap lower.
                .setSocketOption(Options.CONNECTION_HIGH_WATER, config.maxConnections())
                .setSocketOption(Options.CONNECTION_LOW_WATER, config.maxConnections())
                // From a request's first byte to the end of its headers.
                .setServerOption(UndertowOptions.REQUEST_PARSE_TIMEOUT, config.headerTimeoutMs())
                .setServerOption(UndertowOptions.MAX_HEADER_SIZE, MAX_HEADER_BYTES)
                // Its open-connection count: at the cap every answer closes its connection (route()).
                .setServerOption(UndertowOptions.ENABLE_CONNECTOR_STATISTICS, true)
                // A connection between requests (or never sending one).
                .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, config.idleTimeoutMs())
                // An answer the client does not read.
                .setSocketOption(Options.WRITE_TIMEOUT, config.idleTimeoutMs())
                // The backstop: nothing legitimate is silent longer than a push waiting for the
                // topology (requestTimeoutMs) plus an idle gap. The body has its own deadline (push()).
                .setServerOption(UndertowOptions.IDLE_TIMEOUT, config.requestTimeoutMs() + config.idleTimeoutMs())
                .setHandler(this::route)
                .build();
        undertow.start();
        boundPort = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
        stats = undertow.getListenerInfo().get(0).getConnectorStatistics();
    }

    int port() {
        return boundPort;
    }

    /** Body bytes buffered now, for tests. */
    long bufferedBodyBytes() {
        return budget.used();
    }

    void stop() {
        if (undertow != null) {
            undertow.stop();
            undertow = null;
        }
    }

    private void route(HttpServerExchange exchange) throws Exception {
        String path = exchange.getRequestPath();
        var counters = stats;
        if (counters != null && counters.getActiveConnections() >= config.maxConnections()) {
            // At the cap no keep-alive: a client that keeps sending requests cannot hold its slot,
            // so connections waiting in the accept backlog get in once the answers go out.
            exchange.setPersistent(false);
        }
        if (path.startsWith("/v1/") && cors(exchange)) {
            return; // a preflight, answered
        }
        switch (path) {
            case "/v1/sync" -> {
                if (!exchange.getRequestMethod().equals(Methods.POST)) {
                    exchange.getResponseHeaders().put(Headers.ALLOW, "POST");
                    Responses.error(exchange, 405, "method_not_allowed", "/v1/sync takes POST");
                    return;
                }
                push(exchange);
            }
            case "/health" -> {
                if (!exchange.getRequestMethod().equals(Methods.GET) && !exchange.getRequestMethod().equals(Methods.HEAD)) {
                    exchange.getResponseHeaders().put(Headers.ALLOW, "GET, HEAD");
                    Responses.error(exchange, 405, "method_not_allowed", "/health takes GET");
                    return;
                }
                // From memory (the checks run on threads of their own): a hung sink cannot stall it.
                var answer = handoff.health();
                if (answer.status() != 200) {
                    exchange.getResponseHeaders().put(Headers.RETRY_AFTER, Integer.toString(config.retryAfterSeconds()));
                }
                Responses.json(exchange, answer.status(), answer.body());
            }
            case "/v1/changes" -> {
                if (!exchange.getRequestMethod().equals(Methods.GET)) {
                    exchange.getResponseHeaders().put(Headers.ALLOW, "GET");
                    Responses.error(exchange, 405, "method_not_allowed", "/v1/changes takes GET");
                    return;
                }
                if (exchange.isInIoThread()) {
                    exchange.dispatch(this::route); // reads Ignite
                    return;
                }
                changes(exchange);
            }
            case "/v1/rejected" -> {
                if (!exchange.getRequestMethod().equals(Methods.GET)) {
                    exchange.getResponseHeaders().put(Headers.ALLOW, "GET");
                    Responses.error(exchange, 405, "method_not_allowed", "/v1/rejected takes GET");
                    return;
                }
                if (exchange.isInIoThread()) {
                    exchange.dispatch(this::route); // reads Ignite
                    return;
                }
                rejected(exchange);
            }
            default -> {
                boolean get = exchange.getRequestMethod().equals(Methods.GET) || exchange.getRequestMethod().equals(Methods.HEAD);
                // folders other than / are not listed: 404 in the usual error shape, not a bare 403
                if (get && (path.equals("/") || !path.endsWith("/")) && !path.equals("/client")) {
                    web.handleRequest(exchange); // the demo page at / and the browser library at /client/
                    return;
                }
                Responses.error(exchange, 404, "not_found", "no such endpoint: " + path
                        + " (this server answers POST /v1/sync, GET /v1/changes, GET /v1/rejected and GET /health)");
            }
        }
    }

    private void push(HttpServerExchange exchange) {
        String problem = contentTypeProblem(exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
        if (problem != null) {
            Responses.error(exchange, 415, "unsupported_media_type", problem);
            return;
        }
        int max = config.maxBodyBytes();
        long declared = exchange.getRequestContentLength();
        if (declared > DRAIN_LIMIT) {
            tooLarge(exchange, declared + " bytes", false);
            return;
        }
        // Enforced while reading: past the limit the rest of the body is read and dropped, never
        // buffered, and 413 is sent once the client has finished sending (a client that is
        // still writing would not see an answer sent earlier). A client that goes on sending
        // past DRAIN_LIMIT is cut off.
        long receivedAt = clock.getAsLong();
        Body body = new Body();
        // The whole body has a deadline: a read timeout alone never ends a trickle of a byte a
        // second. The timer and the chunks below run on this exchange's I/O thread, one at a time.
        body.deadline = exchange.getIoThread().executeAfter(() -> {
            if (body.end()) {
                Responses.errorAndClose(exchange, 408, "request_timeout", "the body did not arrive in full within "
                        + config.bodyTimeoutMs() + " ms (http.bodyTimeoutMs); send it again, on a faster link or in"
                        + " smaller pushes", config.retryAfterSeconds());
            }
        }, config.bodyTimeoutMs(), TimeUnit.MILLISECONDS);
        long[] dropped = {0};
        // The receiver's own buffer cap (2 MiB by default) would cut the connection without an
        // answer; this method bounds the body itself.
        exchange.getRequestReceiver().setMaxBufferSize(-1);
        exchange.getRequestReceiver().receivePartialBytes(
                (ex, chunk, last) -> {
                    if (body.ended) {
                        return; // answered already (408, 503)
                    }
                    if (dropped[0] > 0 || body.size() + chunk.length > max) {
                        dropped[0] += chunk.length;
                        body.release(); // what was buffered is dropped too
                        if (last) {
                            body.deadline.remove();
                            String size = (declared > 0 ? declared : "more than " + max) + " bytes";
                            parse(ex, body, () -> tooLarge(ex, size, true));
                        } else if (dropped[0] > DRAIN_LIMIT) {
                            body.end();
                            tooLarge(ex, "more than " + DRAIN_LIMIT + " bytes", false);
                        }
                        return;
                    }
                    // Buffers grow with the bytes that arrive, never sized from Content-Length,
                    // and every byte is counted against http.maxBufferedBodyBytes first.
                    if (!budget.tryReserve(chunk.length)) {
                        if (body.end()) {
                            LOG.debug("body budget of {} bytes used up; refusing a push", budget.limit());
                            Responses.errorAndClose(ex, 503, "unavailable", "the server is buffering "
                                    + budget.limit() + " bytes of request bodies already (http.maxBufferedBodyBytes);"
                                    + " retry after the Retry-After seconds", config.retryAfterSeconds());
                        }
                        return;
                    }
                    body.keep(chunk);
                    if (last) {
                        body.deadline.remove();
                        parse(ex, body, () -> parsed(ex, body.bytes(), receivedAt));
                    }
                },
                (ex, e) -> {
                    if (body.end()) {
                        LOG.debug("reading a push failed", e);
                        Responses.errorAndClose(ex, 400, "bad_request", "the body could not be read: " + e.getMessage(), 0);
                    }
                });
    }

    /**
     * Runs a fully read push's work on the parse executor, giving its reserved bytes back after
     * it; when the executor's queue is full the push is answered 503 at once instead.
     */
    private void parse(HttpServerExchange exchange, Body body, Runnable work) {
        exchange.dispatch(task -> {
            try {
                parseExecutor.execute(task);
            } catch (RejectedExecutionException e) {
                body.end();
                Responses.retryLater(exchange, 503, "unavailable", "the server has " + PARSE_QUEUE
                        + " pushes waiting to be parsed already (its parse queue); retry after the Retry-After seconds",
                        config.retryAfterSeconds());
            }
        }, () -> {
            try {
                work.run();
            } finally {
                body.end();
            }
        });
    }

    /** One push body being read: its buffer, the bytes it holds of the budget, its deadline. */
    private final class Body {
        /** Null once dropped: the exchange (and this body with it) may live on while its push is in the topology. */
        private ByteArrayOutputStream buffer = new ByteArrayOutputStream(1024);
        private long reserved;
        XnioExecutor.Key deadline;
        volatile boolean ended;

        /** Keeps a chunk already reserved in the budget. */
        synchronized void keep(byte[] chunk) {
            reserved += chunk.length;
            buffer.write(chunk, 0, chunk.length);
        }

        synchronized int size() {
            return buffer == null ? 0 : buffer.size();
        }

        synchronized byte[] bytes() {
            return buffer.toByteArray();
        }

        /** Gives the reserved bytes back and drops the buffer. */
        synchronized void release() {
            budget.release(reserved);
            reserved = 0;
            buffer = null;
        }

        /** Ends this body once: cancels the deadline, gives its bytes back. False if it had ended already. */
        synchronized boolean end() {
            if (ended) {
                return false;
            }
            ended = true;
            if (deadline != null) {
                deadline.remove();
            }
            release();
            return true;
        }
    }

    /** Most entries one GET /v1/changes or /v1/rejected returns, and the default of {@code limit}. */
    static final int MAX_REJECTED_PAGE = 1000;
    static final int DEFAULT_REJECTED_PAGE = 500;

    private void changes(HttpServerExchange exchange) {
        try {
            String db = param(exchange, "db");
            if (!Names.isName(db)) {
                throw ProtocolException.badRequest("db", db == null ? "is required" : "must be 1-128 characters of [A-Za-z0-9._-]");
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
            Responses.retryLater(exchange, 503, "unavailable", "the change feed could not be read from Ignite; retry",
                    config.retryAfterSeconds());
        }
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

    private void rejected(HttpServerExchange exchange) {
        try {
            String db = param(exchange, "db");
            if (!Names.isName(db)) {
                throw ProtocolException.badRequest("db", db == null ? "is required" : "must be 1-128 characters of [A-Za-z0-9._-]");
            }
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
            Responses.json(exchange, 200, handoff.rejected(db, clientId, since, limit(exchange)));
        } catch (ProtocolException e) {
            Responses.error(exchange, e.httpStatus(), e.code(), e.getMessage());
        } catch (RuntimeException e) {
            LOG.warn("GET /v1/rejected failed: {}", e.toString());
            Responses.retryLater(exchange, 503, "unavailable", "the rejected changes could not be read from Ignite; retry",
                    config.retryAfterSeconds());
        }
    }

    private static String param(HttpServerExchange exchange, String name) {
        var values = exchange.getQueryParameters().get(name);
        return values == null || values.isEmpty() ? null : values.getFirst();
    }

    private void parsed(HttpServerExchange exchange, byte[] body, long receivedAt) {
        PushRequest request;
        try {
            request = parser.parse(body, receivedAt);
        } catch (ProtocolException e) {
            Responses.error(exchange, e.httpStatus(), e.code(), e.getMessage());
            return;
        } catch (RuntimeException e) {
            LOG.error("unexpected error parsing a push", e);
            Responses.error(exchange, 500, "internal", "the server could not read this push; see its log");
            return;
        }
        handoff.push(exchange, request);
    }

    /**
     * @param bodyRead whether the whole body was read; if not, the connection is closed after
     *                 the answer, since what is left of the body cannot be told from a next request
     */
    private void tooLarge(HttpServerExchange exchange, String size, boolean bodyRead) {
        if (!bodyRead) {
            exchange.setPersistent(false);
        }
        Responses.error(exchange, 413, "too_large", "the body is " + size + "; the limit (http.maxBodyBytes) is "
                + config.maxBodyBytes() + " bytes; send fewer changes per request");
    }

    private static final io.undertow.util.HttpString ALLOW_ORIGIN = new io.undertow.util.HttpString("Access-Control-Allow-Origin");

    /**
     * CORS for the API, for the origins in http.corsOrigins: every answer to such an origin
     * carries Access-Control-Allow-Origin (and exposes Retry-After); a preflight (OPTIONS with
     * Access-Control-Request-Method) is answered 204 here. True when the exchange was answered.
     */
    private boolean cors(HttpServerExchange exchange) {
        String origin = exchange.getRequestHeaders().getFirst(Headers.ORIGIN);
        if (origin == null || config.corsOrigins().isEmpty()
                || !(config.corsOrigins().contains("*") || config.corsOrigins().contains(origin))) {
            return false;
        }
        var h = exchange.getResponseHeaders();
        h.put(ALLOW_ORIGIN, config.corsOrigins().contains("*") ? "*" : origin);
        h.put(Headers.VARY, "Origin");
        h.put(new io.undertow.util.HttpString("Access-Control-Expose-Headers"), "Retry-After");
        if (exchange.getRequestMethod().equals(Methods.OPTIONS)
                && exchange.getRequestHeaders().contains("Access-Control-Request-Method")) {
            h.put(new io.undertow.util.HttpString("Access-Control-Allow-Methods"), "GET, POST");
            h.put(new io.undertow.util.HttpString("Access-Control-Allow-Headers"), "Content-Type, Authorization");
            h.put(new io.undertow.util.HttpString("Access-Control-Max-Age"), "600");
            exchange.setStatusCode(204);
            exchange.endExchange();
            return true;
        }
        return false;
    }

    /** Null when the content type is JSON in UTF-8, else what is wrong with it. */
    static String contentTypeProblem(String contentType) {
        if (contentType == null) {
            return "the request has no Content-Type; send application/json";
        }
        String[] parts = contentType.split(";");
        if (!parts[0].trim().equalsIgnoreCase("application/json")) {
            return "Content-Type \"" + contentType + "\" is not supported; send application/json";
        }
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].trim().toLowerCase(Locale.ROOT);
            if (p.startsWith("charset=") && !p.substring(8).replace("\"", "").equals("utf-8")) {
                return "Content-Type \"" + contentType + "\" is not supported; bodies are UTF-8 JSON (charset=utf-8)";
            }
        }
        return null;
    }
}
