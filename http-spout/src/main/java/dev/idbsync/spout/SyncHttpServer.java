package dev.idbsync.spout;

import dev.idbsync.auth.Principal;
import dev.idbsync.config.HttpConfig;
import dev.idbsync.health.HealthMonitor;
import dev.idbsync.protocol.PushRequest;
import dev.idbsync.storm.PrometheusText;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.ConnectorStatistics;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLContext;
import org.xnio.Options;

/**
 * The spout's Undertow listener. It answers what needs no topology itself (routing, content
 * type, the body limit, PROTOCOL.md's structural rules, health) and hands each well-formed push
 * to a {@link Handoff}, which answers it later from another thread. Its parts: {@link Cors},
 * {@link PushBodies} (POST /v1/sync), {@link PageQueries} (GET /v1/changes and /v1/rejected) and
 * {@link StaticFiles} (every other path).
 */
final class SyncHttpServer {
    /** What the spout does with a push that passed the envelope rules. */
    interface Handoff {
        /**
         * Takes the push and answers it later, or answers it now (overload, inactive). Called on a
         * parse thread, with no handler call holding the exchange: every answer must go out on the
         * exchange's I/O thread, through {@link Responses#replyTo} or {@link Responses#onIoThread}
         * (which say why).
         */
        void push(HttpServerExchange exchange, PushRequest request);

        /** GET /health's answer, from the latest sink checks; never blocks. */
        HealthMonitor.Answer health();

        /** Whether the db is configured. */
        boolean knowsDb(String db);

        /** The body of GET /v1/changes for a checked query; may block on Ignite. */
        String changes(String db, String since, int limit);

        /**
         * Whether the request's user may read this clientId's rejected changes: with auth on only
         * its owner may (false for a clientId never pushed with); may block on Ignite.
         */
        boolean mayReadRejected(Principal principal, String db, String clientId);

        /** The body of GET /v1/rejected for a checked query; may block on Ignite. */
        String rejected(String db, String clientId, long since, int limit);

        /**
         * GET /metrics: this worker's metrics in the Prometheus text format, or null when they
         * cannot be reached (answered 503).
         */
        default String metrics() {
            return null;
        }

        /**
         * The listener is stopping: answer every push taken and not answered yet, and return once
         * those answers are written (or a bound has passed). Undertow stops after this returns.
         */
        default void answerOpenPushes() {
        }
    }

    /**
     * The most bytes of request line and headers; past it Undertow answers 400 and closes.
     * Undertow's default is 1 MiB, held per connection while headers arrive (within
     * http.headerTimeoutMs): times http.maxConnections, most of a heap. A browser's are a few KiB.
     */
    static final int MAX_HEADER_BYTES = 64 * 1024;

    /** The methods each endpoint takes: its Allow header and the message of its 405. */
    private record Allowed(String header, String message) {
    }

    private static final Map<String, Allowed> ALLOWED = Map.of(
            "/v1/sync", new Allowed("POST", "/v1/sync takes POST"),
            "/health", new Allowed("GET, HEAD", "/health takes GET"),
            "/v1/changes", new Allowed("GET", "/v1/changes takes GET"),
            "/v1/rejected", new Allowed("GET", "/v1/rejected takes GET"),
            "/metrics", new Allowed("GET", "/metrics takes GET"));

    private final HttpConfig config;
    private final Handoff handoff;
    private final Cors cors;
    private final PushBodies bodies;
    private final PageQueries pages;
    private final Gate gate;
    private final SpoutMetrics metrics;
    /** Null: plain HTTP. */
    private final SSLContext tls;
    private Undertow undertow;
    /** The listener's counters (open connections). */
    private volatile ConnectorStatistics stats;
    private int boundPort;

    /** Auth and rate limits off, plain HTTP. */
    SyncHttpServer(HttpConfig config, Handoff handoff, Executor parseExecutor, LongSupplier clock) {
        this(config, handoff, parseExecutor, clock, Gate.OPEN, null);
    }

    /**
     * @param gate the token and rate-limit checks of every API request
     * @param tls the context to serve HTTPS with; null: plain HTTP
     */
    SyncHttpServer(HttpConfig config, Handoff handoff, Executor parseExecutor, LongSupplier clock, Gate gate,
                   SSLContext tls) {
        this(config, handoff, parseExecutor, clock, gate, tls, SpoutMetrics.none());
    }

    /** @param metrics the task's metrics: each 429 and 503 is counted by its {@link Refusal} */
    SyncHttpServer(HttpConfig config, Handoff handoff, Executor parseExecutor, LongSupplier clock, Gate gate,
                   SSLContext tls, SpoutMetrics metrics) {
        this.metrics = metrics;
        this.config = config;
        this.gate = gate;
        this.tls = tls;
        this.handoff = handoff;
        this.cors = new Cors(config);
        this.bodies = new PushBodies(config, handoff, parseExecutor, clock);
        this.pages = new PageQueries(config, handoff);
    }

    void start(int port, int ioThreads, int workerThreads) {
        Undertow.Builder builder = Undertow.builder();
        // http.tls: HTTPS instead of HTTP on the same port (docs/auth.md, "TLS")
        undertow = (tls != null ? builder.addHttpsListener(port, config.host(), tls) : builder.addHttpListener(port, config.host()))
                // topology.spoutIoThreads/spoutWorkerThreads; parsing runs on parseExecutor.
                .setIoThreads(ioThreads)
                .setWorkerThreads(workerThreads)
                // Undertow fixes a chunked body's cap when the request starts, from this option
                // (HttpServerExchange#setMaxEntitySize comes too late for it); see PushBodies.
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, PushBodies.DRAIN_LIMIT)
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
                // Its open-connection count: at the cap every answer closes its connection (handler()).
                .setServerOption(UndertowOptions.ENABLE_CONNECTOR_STATISTICS, true)
                // A connection between requests (or never sending one).
                .setServerOption(UndertowOptions.NO_REQUEST_TIMEOUT, config.idleTimeoutMs())
                // An answer the client does not read.
                .setSocketOption(Options.WRITE_TIMEOUT, config.idleTimeoutMs())
                // The backstop: nothing legitimate is silent longer than a push waiting for its
                // answer (at most twice requestTimeoutMs: waiting to enter the topology, then in it;
                // PendingPush.emitting) plus an idle gap. The body has its own deadline (PushBodies).
                .setServerOption(UndertowOptions.IDLE_TIMEOUT, 2 * config.requestTimeoutMs() + config.idleTimeoutMs()) // at most 4,800,000
                .setHandler(handler())
                .build();
        undertow.start();
        boundPort = ((InetSocketAddress) undertow.getListenerInfo().get(0).getAddress()).getPort();
        stats = undertow.getListenerInfo().get(0).getConnectorStatistics();
    }

    int port() {
        return boundPort;
    }

    /** {@code https} when the listener serves TLS, else {@code http}. */
    String scheme() {
        return tls != null ? "https" : "http";
    }

    /** Body bytes buffered now, for tests. */
    long bufferedBodyBytes() {
        return bodies.buffered();
    }

    /** Has the handoff answer the pushes it holds ({@link Handoff#answerOpenPushes}), then stops Undertow. */
    void stop() {
        if (undertow != null) {
            handoff.answerOpenPushes();
            undertow.stop();
            undertow = null;
        }
    }

    /**
     * Every request: the connection cap, CORS, then the routes; a path no route has goes to the
     * static files. The API's routes are behind the {@link Gate} (token, rate limit).
     */
    private HttpHandler handler() {
        var routing = Handlers.routing()
                .post("/v1/sync", gate.guard(this::push))
                .get("/health", this::health)
                .add(Methods.HEAD, "/health", this::health)
                .get("/v1/changes", gate.guard(onWorker(pages::changes)))
                .get("/v1/rejected", gate.guard(onWorker(pages::rejected)));
        if (config.metrics()) { // else /metrics is a path like any other: 404 from the static files
            routing.get("/metrics", gate.guard(onWorker(this::metrics)));
        }
        HttpHandler routes = routing
                .setInvalidMethodHandler(SyncHttpServer::methodNotAllowed)
                .setFallbackHandler(new StaticFiles());
        return exchange -> {
            exchange.putAttachment(Responses.METRICS, metrics);
            var counters = stats;
            if (counters != null && counters.getActiveConnections() >= config.maxConnections()) {
                // At the cap no keep-alive: a client that keeps sending requests cannot hold its slot,
                // so connections waiting in the accept backlog get in once the answers go out.
                exchange.setPersistent(false);
            }
            if (!cors.answeredPreflight(exchange)) {
                routes.handleRequest(exchange);
            }
        };
    }

    /** A route that reads Ignite: off the I/O thread. */
    private static HttpHandler onWorker(HttpHandler handler) {
        return exchange -> {
            if (exchange.isInIoThread()) {
                exchange.dispatch(handler);
            } else {
                handler.handleRequest(exchange);
            }
        };
    }

    /** An endpoint asked with a method it does not take. */
    private static void methodNotAllowed(HttpServerExchange exchange) {
        Allowed allowed = ALLOWED.get(exchange.getRelativePath());
        exchange.getResponseHeaders().put(Headers.ALLOW, allowed.header());
        Responses.error(exchange, 405, "method_not_allowed", allowed.message());
    }

    private void push(HttpServerExchange exchange) {
        String problem = contentTypeProblem(exchange.getRequestHeaders().getFirst(Headers.CONTENT_TYPE));
        if (problem != null) {
            Responses.error(exchange, 415, "unsupported_media_type", problem);
            return;
        }
        bodies.read(exchange);
    }

    /**
     * GET /metrics: this worker's metrics in the Prometheus text format. With auth on, only for a
     * token with the grant {@value Principal#METRICS_READ} (behind the {@link Gate} like the API).
     */
    private void metrics(HttpServerExchange exchange) {
        if (!Gate.principal(exchange).canReadMetrics()) {
            Gate.forbidden(exchange, "this token does not grant reading the metrics; it needs the scope \""
                    + Principal.METRICS_READ + "\"");
            return;
        }
        String text = handoff.metrics();
        if (text == null) {
            Responses.error(exchange, 503, "unavailable", "this worker's metrics registry cannot be reached from"
                    + " the spout (docs/operations.md, \"Metrics\")");
            return;
        }
        exchange.setStatusCode(200);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, PrometheusText.CONTENT_TYPE);
        exchange.getResponseSender().send(text);
    }

    /** From memory (the checks run on threads of their own): a hung sink cannot stall it. */
    private void health(HttpServerExchange exchange) {
        var answer = handoff.health();
        if (answer.status() != 200) {
            exchange.getResponseHeaders().put(Headers.RETRY_AFTER, Integer.toString(config.retryAfterSeconds()));
        }
        Responses.json(exchange, answer.status(), answer.body());
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
