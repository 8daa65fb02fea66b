package dev.idbsync.ignite;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
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
 * A change's outcome as the outcomes cache keeps it (key {@link #key}; docs/ignite.md, "Outcomes"):
 * the {@link Result} the change got when it was decided, {@code by}, the key of the push that
 * decided it, and what a resend delivers again to the sinks after Ignite: the change's
 * {@code event} (applied, conflict) or its {@code rejectedEntry} in the rejected-changes log
 * (rejected). The resolver writes it in the same transaction as the record; the spout reads the
 * outcomes of a push once Storm reports the push's tuples acked. That way the spout and the bolts
 * share no memory and may run in different worker processes.
 *
 * <p>{@link #toJson()} and {@link #fromJson}/{@link #answerOf} are the one codec of that format.
 * {@link #answersDuplicate} is the one rule for {@code duplicate}.
 *
 * @param event null for a rejected change, and when read by {@link #answerOf}
 * @param rejectedEntry the rejected-changes log entry of a rejected change, else null; null when
 *     read by {@link #answerOf}
 */
public record StoredOutcome(Result result, String by, SinkEvent event, ObjectNode rejectedEntry) {
    /** The field that names the deciding push; never sent to clients. */
    public static final String BY = "by";
    /** The field that holds the change's {@link SinkEvent}, so that a retry can deliver it again. */
    public static final String EVENT = "event";
    /** The field that holds a rejected change's log entry, so that a retry can write it again. */
    public static final String REJECTED_ENTRY = "rejectedEntry";

    /** Reads one field's value from a parser that goes on after it. */
    private static final ObjectReader FIELD_READER = Json.MAPPER.reader()
            .without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The outcomes cache's key of a change: {@code db/clientId/seq}. */
    public static String key(Change c) {
        return c.eventId();
    }

    /**
     * The one rule for {@code duplicate} (PROTOCOL.md): a change that was decided before is never
     * decided again (the sequencer sends a seq at or under the client's mark on as a redelivery,
     * the resolver keeps any outcome it finds), and the push that asks is answered
     * {@code duplicate} unless it is the push that decided the change. {@code stored} null: the
     * topology acked the change without an outcome, that is the sequencer found it decided and its
     * outcome is past {@code ignite.outcomeRetentionHours}.
     */
    public static boolean answersDuplicate(StoredOutcome stored, String push) {
        return stored == null || !push.equals(stored.by());
    }

    /** The stored JSON: the result's fields first, then {@code by}, then the event or the rejected entry. */
    public String toJson() {
        // The event, the bulky part, is written straight from its object, without a tree; the
        // result's fields come first so that answerOf can stop caring once it meets the event.
        StringWriter out = new StringWriter(event == null ? 128 : 512);
        try (JsonGenerator g = Json.MAPPER.createGenerator(out)) {
            g.writeStartObject();
            writeResultFields(g, result);
            g.writeStringField(BY, by);
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

    /** The whole outcome, event and rejected entry included: for a redelivery. */
    public static StoredOutcome fromJson(String json) {
        return read(json, true);
    }

    /**
     * The result and {@code by} only: the event and the rejected entry are skipped over, never
     * built into objects, since the spout reads the outcome of every change it answers.
     */
    public static StoredOutcome answerOf(String json) {
        return read(json, false);
    }

    private static StoredOutcome read(String json, boolean whole) {
        try (JsonParser p = Json.MAPPER.createParser(json)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                throw new IOException("not an object");
            }
            ObjectNode result = Json.MAPPER.createObjectNode();
            String by = null;
            SinkEvent event = null;
            ObjectNode rejectedEntry = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (!whole && (EVENT.equals(name) || REJECTED_ENTRY.equals(name))) {
                    p.skipChildren();
                } else if (BY.equals(name)) {
                    by = t == JsonToken.VALUE_NULL ? null : p.getText();
                } else if (EVENT.equals(name)) {
                    JsonNode e = FIELD_READER.readTree(p);
                    event = e == null || e.isNull() ? null : SinkEvent.fromJson(e);
                } else if (REJECTED_ENTRY.equals(name)) {
                    rejectedEntry = FIELD_READER.readTree(p) instanceof ObjectNode o ? o : null;
                } else {
                    result.set(name, FIELD_READER.readTree(p));
                }
            }
            return new StoredOutcome(Json.MAPPER.treeToValue(result, Result.class), by, event, rejectedEntry);
        } catch (IOException | RuntimeException e) {
            throw new UncheckedIOException("an outcome in Ignite is not in idbsync's format: " + json,
                    e instanceof IOException io ? io : new IOException(e));
        }
    }
}
