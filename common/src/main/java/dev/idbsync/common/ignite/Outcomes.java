package dev.idbsync.common.ignite;

import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Result;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * How a change's outcome is kept in the outcomes cache. The sink that decides a change writes
 * its {@link Result} there before it acks the tuple; the spout reads every outcome of a request
 * once Storm reports the request's tuples acked. That way the spout and the bolts share no
 * memory and may run in different worker processes.
 */
public final class Outcomes {
    private Outcomes() {
    }

    public static String key(Change c) {
        return c.eventId();
    }

    public static String toJson(Result r) {
        try {
            return Json.MAPPER.writeValueAsString(r);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Result fromJson(String json) {
        try {
            return Json.MAPPER.readValue(json, Result.class);
        } catch (IOException e) {
            throw new UncheckedIOException("an outcome in Ignite is not in idbsync's format: " + json, e);
        }
    }
}
