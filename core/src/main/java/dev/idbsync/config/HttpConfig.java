package dev.idbsync.config;

import java.io.Serializable;

/** The HTTP spout's listener and its limits. Immutable; made by {@link #builder()}. */
public final class HttpConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 8080;
    /** PROTOCOL.md's default: 4 MiB per request body. */
    public static final int DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
    /** PROTOCOL.md's default: 1,000 changes per request. */
    public static final int DEFAULT_MAX_CHANGES = 1000;
    /**
     * Requests held open at once per spout task. With 1,000 changes and 4 MiB at most each, 256
     * bounds a task's pending bodies near 1 GiB in the worst case and ~25 MB for typical pushes.
     */
    public static final int DEFAULT_MAX_REQUESTS_IN_FLIGHT = 256;
    /** A request not answered in this time gets 503; a little above Storm's default message timeout. */
    public static final int DEFAULT_REQUEST_TIMEOUT_MS = 35_000;
    public static final int DEFAULT_RETRY_AFTER_SECONDS = 1;
    /**
     * Connections the listener holds open at once per spout task. Each costs a file descriptor
     * and a few KiB (a pooled read buffer only while data is waiting); 1,000 stays under the
     * common soft limit of 1,024 descriptors only for a worker with few other sockets, so raise
     * {@code ulimit -n} with it. Past it new connections wait in the kernel's accept backlog.
     */
    public static final int DEFAULT_MAX_CONNECTIONS = 1000;
    /** Time from a request's first byte to the end of its headers; a browser sends them in one packet. */
    public static final int DEFAULT_HEADER_TIMEOUT_MS = 10_000;
    /**
     * Time for a whole request body, from the end of its headers: a 4 MiB body at 1 Mbit/s takes
     * about 34 s, so 60 s leaves room for a slow mobile link and still ends a trickle.
     */
    public static final int DEFAULT_BODY_TIMEOUT_MS = 60_000;
    /**
     * A connection with no request in progress is closed after this; so is one whose answer the
     * client does not read for this long. Browsers reopen a closed keep-alive connection unseen.
     */
    public static final int DEFAULT_IDLE_TIMEOUT_MS = 30_000;
    /**
     * Body bytes buffered at once across all requests of a spout task, from the first byte until
     * the parsed push is handed off or refused. 64 MiB is 16 maximal bodies (or thousands of
     * typical ones) and an eighth of the local run's -Xmx512m heap; a buffer may hold up to twice
     * its bytes while it grows, and parsing makes one copy.
     */
    public static final long DEFAULT_MAX_BUFFERED_BODY_BYTES = 64L * 1024 * 1024;

    private final String host;
    private final int port;
    private final int maxBodyBytes;
    private final int maxChangesPerRequest;
    private final int maxRequestsInFlight;
    private final int requestTimeoutMs;
    private final int retryAfterSeconds;
    private final java.util.List<String> corsOrigins;
    private final int maxConnections;
    private final int headerTimeoutMs;
    private final int bodyTimeoutMs;
    private final int idleTimeoutMs;
    private final long maxBufferedBodyBytes;
    private final boolean metrics;
    private final TlsConfig tls;

    private HttpConfig(Builder b) {
        host = Check.notBlank("http.host", b.host);
        port = Check.range("http.port", b.port, 0, 65535);
        // At most 32 MiB: the spout reads and drops up to 64 MiB of an oversized body to answer 413.
        maxBodyBytes = Check.range("http.maxBodyBytes", b.maxBodyBytes, 1024, 32 * 1024 * 1024);
        maxChangesPerRequest = Check.range("http.maxChangesPerRequest", b.maxChangesPerRequest, 1, 100_000);
        maxRequestsInFlight = Check.range("http.maxRequestsInFlight", b.maxRequestsInFlight, 1, 100_000);
        requestTimeoutMs = Check.range("http.requestTimeoutMs", b.requestTimeoutMs, 100, 600_000);
        retryAfterSeconds = Check.range("http.retryAfterSeconds", b.retryAfterSeconds, 1, 3600);
        for (String o : b.corsOrigins) {
            if (!o.equals("*") && !o.matches("https?://[A-Za-z0-9.-]+(:\\d{1,5})?")) {
                throw new IllegalArgumentException("http.corsOrigins: \"" + o + "\" is not allowed; give origins such as"
                        + " https://app.example.com or http://localhost:3000 (scheme, host, optional port), or *");
            }
        }
        corsOrigins = java.util.List.copyOf(b.corsOrigins);
        maxConnections = Check.range("http.maxConnections", b.maxConnections, 2, 1_000_000);
        headerTimeoutMs = Check.range("http.headerTimeoutMs", b.headerTimeoutMs, 100, 600_000);
        bodyTimeoutMs = Check.range("http.bodyTimeoutMs", b.bodyTimeoutMs, 100, 3_600_000);
        idleTimeoutMs = Check.range("http.idleTimeoutMs", b.idleTimeoutMs, 100, 3_600_000);
        if (b.maxBufferedBodyBytes < maxBodyBytes || b.maxBufferedBodyBytes > 64L * 1024 * 1024 * 1024) {
            throw new IllegalArgumentException("http.maxBufferedBodyBytes: " + b.maxBufferedBodyBytes + " is not allowed;"
                    + " give at least http.maxBodyBytes (" + maxBodyBytes + ") so that one full body fits, and at most"
                    + " 64 GiB; size it to a fraction of the worker's heap");
        }
        maxBufferedBodyBytes = b.maxBufferedBodyBytes;
        metrics = b.metrics;
        tls = b.tls;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The {@code http} section of the config file. */
    static HttpConfig fromYaml(Section s) {
        Builder b = builder();
        s.string("host", b::host);
        s.integer("port", b::port);
        s.integer("maxBodyBytes", b::maxBodyBytes);
        s.integer("maxChangesPerRequest", b::maxChangesPerRequest);
        s.integer("maxRequestsInFlight", b::maxRequestsInFlight);
        s.integer("requestTimeoutMs", b::requestTimeoutMs);
        s.integer("retryAfterSeconds", b::retryAfterSeconds);
        s.strings("corsOrigins", "a list of origins", "origins as strings", b::corsOrigins);
        s.integer("maxConnections", b::maxConnections);
        s.integer("headerTimeoutMs", b::headerTimeoutMs);
        s.integer("bodyTimeoutMs", b::bodyTimeoutMs);
        s.integer("idleTimeoutMs", b::idleTimeoutMs);
        s.longInteger("maxBufferedBodyBytes", b::maxBufferedBodyBytes);
        s.bool("metrics", b::metrics);
        Section tls = s.raw("tls") != null ? s.section("tls") : null;
        s.finish();
        if (tls != null) {
            b.tls(TlsConfig.fromYaml(tls));
        }
        return b.build();
    }

    public Builder toBuilder() {
        return new Builder().host(host).port(port).maxBodyBytes(maxBodyBytes).maxChangesPerRequest(maxChangesPerRequest)
                .maxRequestsInFlight(maxRequestsInFlight).requestTimeoutMs(requestTimeoutMs)
                .retryAfterSeconds(retryAfterSeconds).corsOrigins(corsOrigins).maxConnections(maxConnections)
                .headerTimeoutMs(headerTimeoutMs).bodyTimeoutMs(bodyTimeoutMs).idleTimeoutMs(idleTimeoutMs)
                .maxBufferedBodyBytes(maxBufferedBodyBytes).tls(tls).metrics(metrics);
    }

    /** The address the listener binds; 127.0.0.1 by default so a local run is not exposed. */
    public String host() {
        return host;
    }

    /** The port of spout task 0; task i listens on port + i. 0 picks a free port (tests). */
    public int port() {
        return port;
    }

    public int maxBodyBytes() {
        return maxBodyBytes;
    }

    public int maxChangesPerRequest() {
        return maxChangesPerRequest;
    }

    public int maxRequestsInFlight() {
        return maxRequestsInFlight;
    }

    public int requestTimeoutMs() {
        return requestTimeoutMs;
    }

    public int retryAfterSeconds() {
        return retryAfterSeconds;
    }

    /**
     * Web origins (other than the server's own) whose pages may call the API: the browser
     * library on https://app.example.com syncing with this server. Empty (the default): same
     * origin only. {@code *}: any origin.
     */
    public java.util.List<String> corsOrigins() {
        return corsOrigins;
    }

    /** Connections held open at once per spout task; past it new ones wait in the accept backlog. */
    public int maxConnections() {
        return maxConnections;
    }

    /** From a request's first byte to the end of its headers; past it the connection is closed. */
    public int headerTimeoutMs() {
        return headerTimeoutMs;
    }

    /** From the end of a push's headers to the end of its body; past it 408 and the connection is closed. */
    public int bodyTimeoutMs() {
        return bodyTimeoutMs;
    }

    /** A connection with no request in progress, or an answer not read, for this long is closed. */
    public int idleTimeoutMs() {
        return idleTimeoutMs;
    }

    /** Body bytes buffered at once per spout task; past it 503 with Retry-After and the connection is closed. */
    public long maxBufferedBodyBytes() {
        return maxBufferedBodyBytes;
    }

    /**
     * Whether {@code GET /metrics} answers (the worker's metrics in the Prometheus text format;
     * with auth on, only to a token with the grant {@code idbsync:metrics}); false: 404.
     */
    public boolean metrics() {
        return metrics;
    }

    /** HTTPS from a keystore; null (the default): plain HTTP, e.g. behind a TLS-terminating load balancer. */
    public TlsConfig tls() {
        return tls;
    }

    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private int maxChangesPerRequest = DEFAULT_MAX_CHANGES;
        private int maxRequestsInFlight = DEFAULT_MAX_REQUESTS_IN_FLIGHT;
        private int requestTimeoutMs = DEFAULT_REQUEST_TIMEOUT_MS;
        private int retryAfterSeconds = DEFAULT_RETRY_AFTER_SECONDS;
        private java.util.List<String> corsOrigins = java.util.List.of();
        private int maxConnections = DEFAULT_MAX_CONNECTIONS;
        private int headerTimeoutMs = DEFAULT_HEADER_TIMEOUT_MS;
        private int bodyTimeoutMs = DEFAULT_BODY_TIMEOUT_MS;
        private int idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS;
        private long maxBufferedBodyBytes = DEFAULT_MAX_BUFFERED_BODY_BYTES;
        private boolean metrics = true;
        private TlsConfig tls;

        public Builder host(String v) {
            host = v;
            return this;
        }

        public Builder port(int v) {
            port = v;
            return this;
        }

        public Builder maxBodyBytes(int v) {
            maxBodyBytes = v;
            return this;
        }

        public Builder maxChangesPerRequest(int v) {
            maxChangesPerRequest = v;
            return this;
        }

        public Builder maxRequestsInFlight(int v) {
            maxRequestsInFlight = v;
            return this;
        }

        public Builder requestTimeoutMs(int v) {
            requestTimeoutMs = v;
            return this;
        }

        public Builder retryAfterSeconds(int v) {
            retryAfterSeconds = v;
            return this;
        }

        public Builder corsOrigins(java.util.List<String> v) {
            corsOrigins = v;
            return this;
        }

        public Builder maxConnections(int v) {
            maxConnections = v;
            return this;
        }

        public Builder headerTimeoutMs(int v) {
            headerTimeoutMs = v;
            return this;
        }

        public Builder bodyTimeoutMs(int v) {
            bodyTimeoutMs = v;
            return this;
        }

        public Builder idleTimeoutMs(int v) {
            idleTimeoutMs = v;
            return this;
        }

        public Builder metrics(boolean v) {
            metrics = v;
            return this;
        }

        public Builder maxBufferedBodyBytes(long v) {
            maxBufferedBodyBytes = v;
            return this;
        }

        public Builder tls(TlsConfig v) {
            tls = v;
            return this;
        }

        public HttpConfig build() {
            return new HttpConfig(this);
        }
    }
}
