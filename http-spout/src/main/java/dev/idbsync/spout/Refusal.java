package dev.idbsync.spout;

import java.util.Locale;

/**
 * Why a request was answered 429 or 503 (with {@code Retry-After}): the {@code cause} label of
 * {@link SpoutMetrics#REFUSED_COUNTER}. The answer's body code is {@code rate_limited} for 429 and
 * {@code unavailable} for 503, as before; the cause is for operators only.
 */
enum Refusal {
    /** 429: the caller's token bucket is empty (rateLimit). */
    RATE_LIMITED(429),
    /** The topology is deactivated (or the task is stopping). */
    INACTIVE(503),
    /** http.maxRequestsInFlight pushes are open already. */
    IN_FLIGHT_CAP(503),
    /** The parse threads' queue is full. */
    PARSE_QUEUE_FULL(503),
    /** The body buffers (BodyBudget) are used up. */
    BODY_BUFFERS_FULL(503),
    /** Who owns the clientId could not be read from Ignite. */
    OWNERS_UNREADABLE(503),
    /** GET /v1/changes could not read Ignite. */
    FEED_UNREADABLE(503),
    /** GET /v1/rejected could not read Ignite. */
    REJECTED_UNREADABLE(503),
    /** The push was not answered within http.requestTimeoutMs. */
    TIMEOUT(503),
    /** A change of the push failed or timed out in the topology. */
    TOPOLOGY_FAILED(503),
    /** Every change was acked but the answer could not be read from Ignite. */
    ANSWER_UNREADABLE(503),
    /** The listener is stopping: its open pushes are answered 503. */
    SHUTTING_DOWN(503);

    final int status;

    Refusal(int status) {
        this.status = status;
    }

    /** The answer body's code. */
    String code() {
        return status == 429 ? "rate_limited" : "unavailable";
    }

    /** The metric label. */
    String label() {
        return name().toLowerCase(Locale.ROOT);
    }
}
