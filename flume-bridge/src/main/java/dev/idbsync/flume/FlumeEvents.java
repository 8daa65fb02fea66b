package dev.idbsync.flume;

import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.SinkEvent;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.flume.Event;
import org.apache.flume.event.EventBuilder;

/**
 * A resolved change as a Flume event. Headers: {@code db}, {@code store}, {@code key} (the
 * key's canonical form), {@code op}, {@code version}, {@code clientId}, {@code seq},
 * {@code eventId} ({@code db/clientId/seq}, stable: a consumer drops a repeat by it),
 * {@code ts} (the server's time when the change was decided, epoch ms), {@code status}
 * (applied or conflict) and, for a conflict, {@code policy}. Body: the record's value after
 * resolution as JSON (UTF-8); empty for a delete.
 */
public final class FlumeEvents {
    private FlumeEvents() {
    }

    public static Event of(SinkEvent e) {
        Map<String, String> h = new LinkedHashMap<>();
        h.put("db", e.db());
        h.put("store", e.store());
        h.put("key", e.keyString());
        h.put("op", e.op().wire());
        h.put("version", Long.toString(e.version()));
        h.put("clientId", e.clientId());
        h.put("seq", Long.toString(e.seq()));
        h.put("eventId", e.eventId());
        h.put("ts", Long.toString(e.serverTs()));
        h.put("status", e.status().wire());
        if (e.policy() != null) {
            h.put("policy", e.policy());
        }
        try {
            byte[] body = e.value() == null ? new byte[0] : Json.MAPPER.writeValueAsBytes(e.value());
            return EventBuilder.withBody(body, h);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }
}
