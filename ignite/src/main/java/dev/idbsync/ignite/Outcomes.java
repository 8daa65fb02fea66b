package dev.idbsync.ignite;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.SinkEvent;
import java.io.IOException;
import java.io.StringWriter;
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
        // The event, the bulky part, is written straight from its object, without a tree. The
        // result's fields come first and the event last; answerFields skips the event.
        StringWriter out = new StringWriter(event == null ? 128 : 512);
        try (JsonGenerator g = Json.MAPPER.createGenerator(out)) {
            g.writeStartObject();
            writeResultFields(g, r);
            g.writeStringField(BY, push);
            if (event != null) {
                g.writeFieldName(EVENT);
                Json.MAPPER.writeValue(g, event);
            }
            if (rejectedEntry != null) {
                g.writeFieldName(REJECTED_ENTRY);
                Json.MAPPER.writeTree(g, rejectedEntry);
            }
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** The result's fields as Jackson writes a {@link Result} (its own annotations decide which). */
    private static void writeResultFields(JsonGenerator g, Result r) throws IOException {
        ObjectNode fields = Json.MAPPER.valueToTree(r);
        for (var it = fields.fields(); it.hasNext(); ) {
            var f = it.next();
            g.writeFieldName(f.getKey());
            Json.MAPPER.writeTree(g, f.getValue());
        }
    }

    /**
     * What the spout needs of a stored outcome: the result's fields as an object (as a client
     * gets them) and {@code by}. The stored event and rejected-log entry are skipped over, never
     * built into objects: the spout reads the outcome of every change it answers.
     */
    public record Answer(ObjectNode result, String by) {
    }

    /** Reads one field's value from a parser that goes on after it. */
    private static final ObjectReader FIELD_READER = Json.MAPPER.reader()
            .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    public static Answer answerFields(String json) {
        try (JsonParser p = Json.MAPPER.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not an object");
            }
            ObjectNode result = Json.MAPPER.createObjectNode();
            String by = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (EVENT.equals(name) || REJECTED_ENTRY.equals(name)) {
                    p.skipChildren();
                } else if (BY.equals(name)) {
                    by = t == JsonToken.VALUE_NULL ? null : p.getText();
                } else {
                    result.set(name, FIELD_READER.readTree(p));
                }
            }
            return new Answer(result, by);
        } catch (IOException | RuntimeException e) {
            throw new UncheckedIOException("an outcome in Ignite is not in idbsync's format: " + json,
                    e instanceof IOException io ? io : new IOException(e));
        }
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
