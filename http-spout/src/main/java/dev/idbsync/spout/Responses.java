package dev.idbsync.spout;

import dev.idbsync.protocol.ErrorBody;
import io.undertow.io.IoCallback;
import io.undertow.io.Sender;
import io.undertow.server.HttpServerExchange;
import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import org.xnio.IoUtils;
import io.undertow.util.AttachmentKey;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;

/** Writing answers; every error goes out in PROTOCOL.md's error shape. */
final class Responses {
    private static final HttpString RETRY_AFTER = new HttpString("Retry-After");
    /** The task's metrics, attached to every exchange by {@link SyncHttpServer}: refusals are counted where they are written. */
    static final AttachmentKey<SpoutMetrics> METRICS = AttachmentKey.create(SpoutMetrics.class);

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

    /**
     * 429/503 for {@code cause}: the client should retry after the given seconds; retrying the same
     * request is safe. Counted in {@link SpoutMetrics#REFUSED_COUNTER}.
     */
    static void retryLater(HttpServerExchange exchange, Refusal cause, String message, int retryAfterSeconds) {
        counted(exchange, cause);
        exchange.getResponseHeaders().put(RETRY_AFTER, Integer.toString(retryAfterSeconds));
        error(exchange, cause.status, cause.code(), message);
    }

    /** Counts a refusal in the task's metrics (when the exchange came through the listener). */
    static void counted(HttpServerExchange exchange, Refusal cause) {
        SpoutMetrics m = exchange.getAttachment(METRICS);
        if (m != null) {
            m.refused(cause);
        }
    }

    /**
     * Answers an exchange that no handler call holds any more (a push whose body was read, answered
     * from a parse, responder, sweeper or executor thread): {@code answer} runs on the exchange's I/O
     * thread, at once when this is that thread.
     *
     * <p>Why: the thread that writes an answer also ends the exchange, and on a keep-alive connection
     * ending it re-arms the connection for its next request (Undertow's
     * {@code HttpReadListener#exchangeComplete}: set the read listener, resume reads). From any other
     * thread that races with the I/O thread: reading a body with the receiver leaves a read-ready
     * task queued on the I/O thread (its last chunk resumes reads on a request that is read to its
     * end, which XNIO turns into a wakeup), and when that task finds no read listener (Undertow
     * clears it when the request ends) XNIO suspends reads. If the answering thread re-arms the
     * connection between that check and that suspend, reads stay suspended: the next request on the
     * connection is never read, and after http.idleTimeoutMs (NO_REQUEST_TIMEOUT) the connection is
     * closed without an answer. On the I/O thread the two run one after the other, never interleaved.
     * Seen in Undertow 2.3.27.Final with XNIO 3.8.16.Final; see SyncHttpServerKeepAliveTest.
     */
    static void onIoThread(HttpServerExchange exchange, Runnable answer) {
        if (exchange.isInIoThread()) {
            answer.run();
            return;
        }
        try {
            exchange.getIoThread().execute(answer);
        } catch (RejectedExecutionException e) {
            answer.run(); // the I/O thread has stopped: the connection is closing, there is no next request to lose
        }
    }

    /** A push's {@link PendingPush.Reply} over its exchange; it answers on the exchange's I/O thread ({@link #onIoThread}). */
    static PendingPush.Reply replyTo(HttpServerExchange exchange) {
        return new PendingPush.Reply() {
            @Override
            public void json(int status, String body) {
                onIoThread(exchange, () -> Responses.json(exchange, status, body));
            }

            @Override
            public void retryLater(Refusal cause, String message, int retryAfterSeconds) {
                onIoThread(exchange, () -> Responses.retryLater(exchange, cause, message, retryAfterSeconds));
            }

            @Override
            public void onDone(Runnable done) {
                try {
                    exchange.addExchangeCompleteListener((ex, next) -> {
                        try {
                            done.run();
                        } finally {
                            next.proceed();
                        }
                    });
                } catch (IllegalStateException e) {
                    done.run(); // the exchange has ended already (Undertow refuses listeners then)
                }
            }
        };
    }

    /**
     * An error for a request whose body was not read to its end: the answer says
     * {@code Connection: close} and the connection is closed once it is written (what is left
     * of the body cannot be told from a next request). {@code retryAfterSeconds} 0: no Retry-After.
     */
    static void errorAndClose(HttpServerExchange exchange, int status, String code, String message, int retryAfterSeconds) {
        exchange.setPersistent(false);
        if (retryAfterSeconds > 0) {
            exchange.getResponseHeaders().put(RETRY_AFTER, Integer.toString(retryAfterSeconds));
        }
        exchange.setStatusCode(status);
        exchange.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        exchange.getResponseSender().send(ErrorBody.json(code, message), new IoCallback() {
            @Override
            public void onComplete(HttpServerExchange ex, Sender sender) {
                IoUtils.safeClose(ex.getConnection());
            }

            @Override
            public void onException(HttpServerExchange ex, Sender sender, IOException e) {
                IoUtils.safeClose(ex.getConnection());
            }
        });
    }
}
