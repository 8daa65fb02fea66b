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
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.SinkEvent;
import dev.idbsync.protocol.Status;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.Objects;

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
 * <p>An {@code applied} change whose event is the change as it was sent (a put applied with its own
 * value, or a delete) is stored without the event: {@code eventOfChange} keeps what the change
 * does not hold ({@link EventOfChange}), and a resend of the same change rebuilds the event from
 * itself ({@link #eventFor}). The event, with its value, was most of an outcome's bytes, and
 * outcomes most of the data Ignite writes per change (docs/performance.md).
 *
 * @param event the whole event: a {@code conflict}, or an {@code applied} change whose event is not
 *     the change as sent; null for a rejected change, with {@code eventOfChange}, and when read by
 *     {@link #answerOf}
 * @param rejectedEntry the rejected-changes log entry of a rejected change, else null; null when
 *     read by {@link #answerOf}
 * @param eventOfChange instead of {@code event} when the change itself holds it; null when read by
 *     {@link #answerOf}
 */
public record StoredOutcome(Result result, String by, SinkEvent event, ObjectNode rejectedEntry,
                            EventOfChange eventOfChange) {
    /** The field that names the deciding push; never sent to clients. */
    public static final String BY = "by";
    /** The field that holds the change's {@link SinkEvent}, so that a retry can deliver it again. */
    public static final String EVENT = "event";
    /** The field that holds a rejected change's log entry, so that a retry can write it again. */
    public static final String REJECTED_ENTRY = "rejectedEntry";

    /** The field that stands for the event of an applied change that holds its event itself. */
    public static final String EVENT_OF_CHANGE = "eventOfChange";

    /**
     * What an applied change's event holds that a resend of the change does not: the skew-corrected
     * {@code ts} and the {@code serverTs} of the decision (a resend has another {@code sentAt} and
     * arrives at another time), with the change's {@code store} and {@code keyString} and a
     * {@code digest} of the change as it was decided ({@link #digest}), so that a resend that is not
     * the same change (a client that reused a seq) is recognised. The version is the result's.
     */
    public record EventOfChange(long ts, long serverTs, String store, String keyString, String digest) {
    }

    /** An outcome that keeps its whole event (or none). */
    public StoredOutcome(Result result, String by, SinkEvent event, ObjectNode rejectedEntry) {
        this(result, by, event, rejectedEntry, null);
    }

    /**
     * The outcome to store for a change just decided: {@code event} becomes {@code eventOfChange}
     * when the change holds it, that is when the change was applied and the record became exactly
     * what the change sent (same op, same value); otherwise it is kept whole.
     */
    public static StoredOutcome decided(Result result, String by, Change change, SinkEvent event, ObjectNode rejectedEntry) {
        if (event != null && result.status() == Status.APPLIED && event.status() == Status.APPLIED
                && event.op() == change.op() && Objects.equals(event.value(), change.op() == Op.PUT ? change.value() : null)
                && Objects.equals(result.version(), event.version()) && event.losingOp() == null) {
            return new StoredOutcome(result, by, null, rejectedEntry,
                    new EventOfChange(event.ts(), event.serverTs(), change.store(), change.keyString(), digest(change)));
        }
        return new StoredOutcome(result, by, event, rejectedEntry, null);
    }

    /**
     * The event to deliver again for {@code resend}, a change with this outcome's key (db, clientId,
     * seq): the stored event, or the one rebuilt from the resend when it is the change that was
     * decided (same store, key, op and value); null when there is no event, or the resend is
     * another change under the same seq (then only the record can tell what the event was).
     */
    public SinkEvent eventFor(Change resend) {
        if (event != null || eventOfChange == null) {
            return event;
        }
        if (result.version() == null || !eventOfChange.digest().equals(digest(resend))) {
            return null;
        }
        return new SinkEvent(resend.eventId(), resend.db(), resend.store(), resend.key(), resend.keyString(), resend.op(),
                resend.op() == Op.PUT ? resend.value() : null, result.version(), resend.clientId(), resend.seq(),
                eventOfChange.ts(), eventOfChange.serverTs(), Status.APPLIED, null, null, null);
    }

    /**
     * SHA-256 of the change's store, key (canonical form), op and value as JSON, its first 16 bytes
     * in base64url: what tells a resend of the same change from another change under the same seq.
     */
    static String digest(Change c) {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e); // every Java SE platform has it
        }
        for (String part : new String[] {c.store(), c.keyString(), c.op().wire()}) {
            sha.update(part.getBytes(StandardCharsets.UTF_8));
            sha.update((byte) 0);
        }
        if (c.op() == Op.PUT && c.value() != null) {
            sha.update(c.value().toString().getBytes(StandardCharsets.UTF_8));
        }
        byte[] d = sha.digest();
        return Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(d, 16));
    }

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
            if (eventOfChange != null) {
                g.writeObjectFieldStart(EVENT_OF_CHANGE);
                g.writeNumberField("ts", eventOfChange.ts());
                g.writeNumberField("serverTs", eventOfChange.serverTs());
                g.writeStringField("store", eventOfChange.store());
                g.writeStringField("keyString", eventOfChange.keyString());
                g.writeStringField("digest", eventOfChange.digest());
                g.writeEndObject();
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
            EventOfChange eventOfChange = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (!whole && (EVENT.equals(name) || REJECTED_ENTRY.equals(name) || EVENT_OF_CHANGE.equals(name))) {
                    p.skipChildren();
                } else if (BY.equals(name)) {
                    by = t == JsonToken.VALUE_NULL ? null : p.getText();
                } else if (EVENT.equals(name)) {
                    JsonNode e = FIELD_READER.readTree(p);
                    event = e == null || e.isNull() ? null : SinkEvent.fromJson(e);
                } else if (REJECTED_ENTRY.equals(name)) {
                    rejectedEntry = FIELD_READER.readTree(p) instanceof ObjectNode o ? o : null;
                } else if (EVENT_OF_CHANGE.equals(name)) {
                    eventOfChange = eventOfChange(FIELD_READER.readTree(p));
                } else {
                    result.set(name, FIELD_READER.readTree(p));
                }
            }
            return new StoredOutcome(Json.MAPPER.treeToValue(result, Result.class), by, event, rejectedEntry, eventOfChange);
        } catch (IOException | RuntimeException e) {
            throw new UncheckedIOException("an outcome in Ignite is not in idbsync's format: " + json,
                    e instanceof IOException io ? io : new IOException(e));
        }
    }

    private static EventOfChange eventOfChange(JsonNode n) throws IOException {
        if (n == null || !n.isObject() || !n.path("ts").canConvertToLong() || !n.path("serverTs").canConvertToLong()
                || !n.path("store").isTextual() || !n.path("keyString").isTextual() || !n.path("digest").isTextual()) {
            throw new IOException(EVENT_OF_CHANGE + " is not an object of ts, serverTs, store, keyString and digest");
        }
        return new EventOfChange(n.get("ts").asLong(), n.get("serverTs").asLong(), n.get("store").asText(),
                n.get("keyString").asText(), n.get("digest").asText());
    }
}
