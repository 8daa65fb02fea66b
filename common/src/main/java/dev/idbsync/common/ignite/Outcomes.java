package dev.idbsync.common.ignite;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.SinkEvent;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * How a change's outcome is kept in the outcomes cache: the {@link Result} the change got when
 * it was decided, plus {@code by}, the key of the push that decided it. The resolver writes it
 * in the same transaction as the record; the spout reads the outcomes of a push once Storm
 * reports the push's tuples acked. An outcome decided by another push is answered
 * {@code duplicate}. That way the spout and the bolts share no memory and may run in different
 * worker processes.
 */
public final class Outcomes {
    /** The field that names the deciding push; never sent to clients. */
    public static final String BY = "by";

    private Outcomes() {
    }

    public static String key(Change c) {
        return c.eventId();
    }

    /** The field that holds the change's {@link SinkEvent}, so that a retry can deliver it again. */
    public static final String EVENT = "event";

    /**
     * @param event the change's event for the sinks after Ignite; null for a rejected change
     */
    public static String toStoredJson(Result r, String push, SinkEvent event) {
        return toStoredJson(r, push, event, null);
    }

    /** The field that holds a rejected change's log entry, so that a retry can write it again. */
    public static final String REJECTED_ENTRY = "rejectedEntry";

    /**
     * @param rejectedEntry the rejected-changes log entry of a rejected change, else null
     */
    public static String toStoredJson(Result r, String push, SinkEvent event, ObjectNode rejectedEntry) {
        ObjectNode n = Json.MAPPER.valueToTree(r);
        n.put(BY, push);
        if (event != null) {
            n.set(EVENT, Json.MAPPER.valueToTree(event));
        }
        if (rejectedEntry != null) {
            n.set(REJECTED_ENTRY, rejectedEntry);
        }
        return n.toString();
    }

    /** The stored outcome as an object: the result's fields and {@code by}. */
    public static ObjectNode parse(String json) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (IOException | ClassCastException e) {
            throw new UncheckedIOException("an outcome in Ignite is not in idbsync's format: " + json,
                    e instanceof IOException io ? io : new IOException(e));
        }
    }
}
