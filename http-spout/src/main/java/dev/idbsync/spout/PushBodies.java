package dev.idbsync.spout;

import dev.idbsync.auth.Principal;
import dev.idbsync.config.HttpConfig;
import dev.idbsync.protocol.EnvelopeParser;
import dev.idbsync.protocol.ProtocolException;
import dev.idbsync.protocol.PushRequest;
import io.undertow.server.HttpServerExchange;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xnio.XnioExecutor;

/**
 * Reads the body of POST /v1/sync within its bounds (http.maxBodyBytes, http.bodyTimeoutMs,
 * http.maxBufferedBodyBytes, the parse queue), parses it on the parse executor (PROTOCOL.md's
 * envelope rules) and hands the push on; every push it refuses is answered here. Once a body is
 * read, answers go out on the exchange's I/O thread ({@link Responses#onIoThread} says why).
 */
final class PushBodies {
    private static final Logger LOG = LoggerFactory.getLogger(PushBodies.class);

    /** Bytes of an oversized body read and dropped before the connection is cut. */
    static final long DRAIN_LIMIT = 64L * 1024 * 1024;
    /**
     * Bodies waiting for a parse thread (the spout's executor holds this many in its queue); past
     * it a push gets 503. Two threads parse a 4 MiB body in tens of ms, so a full queue is a
     * second or more of backlog; the body budget bounds the bytes those bodies hold.
     */
    static final int PARSE_QUEUE = 64;

    private final HttpConfig config;
    private final SyncHttpServer.Handoff handoff;
    private final Executor parseExecutor;
    private final LongSupplier clock;
    private final BodyBudget budget;

    PushBodies(HttpConfig config, SyncHttpServer.Handoff handoff, Executor parseExecutor, LongSupplier clock) {
        this.config = config;
        this.handoff = handoff;
        this.parseExecutor = parseExecutor;
        this.clock = clock;
        this.budget = new BodyBudget(config.maxBufferedBodyBytes());
    }

    /** Body bytes buffered now. */
    long buffered() {
        return budget.used();
    }

    /** Reads the push's body on the exchange's I/O thread, then parses it and hands it off. */
    void read(HttpServerExchange exchange) {
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
                            parse(ex, body, () -> Responses.onIoThread(ex, () -> tooLarge(ex, size, true)));
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
                            Responses.counted(ex, Refusal.BODY_BUFFERS_FULL);
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
                Responses.onIoThread(exchange, () -> Responses.retryLater(exchange, Refusal.PARSE_QUEUE_FULL, "the server has "
                        + PARSE_QUEUE + " pushes waiting to be parsed already (its parse queue); retry after the"
                        + " Retry-After seconds", config.retryAfterSeconds()));
            }
        }, () -> {
            try {
                work.run();
            } finally {
                body.end();
            }
        });
    }

    private void parsed(HttpServerExchange exchange, byte[] body, long receivedAt) {
        Principal principal = Gate.principal(exchange);
        // A db the token does not grant is refused below alike whether it is configured or not;
        // the parser's own check of the db would say which dbs exist.
        EnvelopeParser parser = new EnvelopeParser(config.maxChangesPerRequest(),
                db -> !principal.canWrite(db) || handoff.knowsDb(db));
        PushRequest request;
        try {
            request = parser.parse(body, receivedAt);
        } catch (ProtocolException e) {
            Responses.onIoThread(exchange, () -> Responses.error(exchange, e.httpStatus(), e.code(), e.getMessage()));
            return;
        } catch (RuntimeException e) {
            LOG.error("unexpected error parsing a push", e);
            Responses.onIoThread(exchange, () -> Responses.error(exchange, 500, "internal",
                    "the server could not read this push; see its log"));
            return;
        }
        if (!principal.canWrite(request.db())) {
            Responses.onIoThread(exchange, () -> Gate.forbidden(exchange, "this token does not grant pushing to this db;"
                    + " it needs the scope \"" + request.db() + ":write\""));
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
}
