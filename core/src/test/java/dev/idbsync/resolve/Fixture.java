package dev.idbsync.resolve;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Keys;
import dev.idbsync.protocol.Op;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Changes of the example app (db notes-app, store notes) and a one-store server to run them on. */
final class Fixture {
    static final String DB = "notes-app";
    static final String STORE = "notes";
    /** The server's clock for every change unless a test sets another. */
    static final long NOW = 1763740810000L;
    /** Change times are given as offsets from this. */
    static final long T0 = 1763740800000L;

    private Fixture() {
    }

    static ObjectNode obj(String json) {
        try {
            return (ObjectNode) Json.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new AssertionError("test value is not a JSON object: " + json, e);
        }
    }

    /** A put by {@code client} made at T0 + {@code at} ms on the client's clock. */
    static C put(String client, long seq, long base, long at, String valueJson) {
        return new C(client, seq, Op.PUT, obj(valueJson), base, T0 + at);
    }

    static C delete(String client, long seq, long base, long at) {
        return new C(client, seq, Op.DELETE, null, base, T0 + at);
    }

    /** A change under construction; by default its client's clock agrees with the server's. */
    static final class C {
        final String clientId;
        final long seq;
        final Op op;
        final ObjectNode value;
        final long base;
        final long ts;
        JsonNode key = TextNode.valueOf("k");
        List<String> fields;
        long receivedAt = NOW;
        long skew;

        C(String clientId, long seq, Op op, ObjectNode value, long base, long ts) {
            this.clientId = clientId;
            this.seq = seq;
            this.op = op;
            this.value = value;
            this.base = base;
            this.ts = ts;
        }

        C fields(String... names) {
            this.fields = List.of(names);
            return this;
        }

        /** The client's clock runs {@code ms} ahead of the server's (behind when negative). */
        C clockAhead(long ms) {
            this.skew = ms;
            return this;
        }

        C receivedAt(long serverMs) {
            this.receivedAt = serverMs;
            return this;
        }

        C key(JsonNode key) {
            this.key = key;
            return this;
        }

        Change build() {
            return new Change(DB, clientId, seq, STORE, key, Keys.canonical(key), op, value, base, ts, fields,
                    receivedAt + skew, receivedAt);
        }
    }

    /** One store of records and its policy, deciding changes one after the other as the server does. */
    static final class Server {
        final String policyName;
        final ConflictPolicy policy;
        final Resolver resolver = new Resolver();
        final Map<String, RecordState> records = new HashMap<>();

        Server(String policyName) {
            this(policyName, ConflictPolicies.forName(policyName, Fixture.class.getClassLoader()));
        }

        Server(String policyName, ConflictPolicy policy) {
            this.policyName = policyName;
            this.policy = policy;
        }

        Decision push(C c) {
            return push(c.build());
        }

        /** Decides with serverNow = the change's receive time, and keeps the new state if any. */
        Decision push(Change change) {
            Decision d = resolver.decide(change, records.get(change.keyString()), policyName, policy,
                    change.receivedAt());
            if (d.next() != null) {
                records.put(change.keyString(), d.next());
            }
            return d;
        }

        RecordState record(String keyString) {
            return records.get(keyString);
        }

        RecordState record() {
            return records.get("\"k\"");
        }
    }
}
