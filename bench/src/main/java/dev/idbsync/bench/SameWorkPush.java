package dev.idbsync.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.files.FileLines;
import dev.idbsync.ignite.RejectedLog;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.EnvelopeParser;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.PushRequest;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.SinkEvent;
import dev.idbsync.protocol.Status;
import dev.idbsync.resolve.ConflictPolicies;
import dev.idbsync.resolve.ConflictPolicy;
import dev.idbsync.resolve.Decision;
import dev.idbsync.resolve.RecordState;
import dev.idbsync.resolve.Resolver;
import dev.idbsync.validate.ChangeValidator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.ignite.client.ClientTransaction;

/**
 * The whole durable work of one push in the same-work reference, with the topology's own rules:
 * the envelope ({@link EnvelopeParser}, unconfigured dbs refused as the spout does), each change's
 * checks ({@link ChangeValidator}), the seq mark and each change decided by its store's policy
 * ({@link Resolver}) in one Ignite transaction, then one Flume batch of the events and one synced
 * append of the lines ({@link SameWorkSinks}), and the answer: one result per change.
 */
final class SameWorkPush {
    private final SyncConfig config;
    private final ChangeValidator validator;
    private final EnvelopeParser parser;
    private final Resolver resolver = new Resolver();
    private final Map<String, ConflictPolicy> policies = new HashMap<>();

    SameWorkPush(SyncConfig config) {
        this.config = config;
        validator = new ChangeValidator(config);
        // as the spout: unconfigured dbs are refused at the envelope
        parser = new EnvelopeParser(config.http().maxChangesPerRequest(), db -> config.stores().containsKey(db));
        for (StoreConfig s : config.allStores()) {
            policies.put(s.db() + "/" + s.store(), ConflictPolicies.forName(s.policy(), getClass().getClassLoader()));
        }
    }

    /** Does the push's work against {@code sinks}; returns the answer's body. */
    byte[] answer(byte[] body, long receivedAt, SameWorkSinks sinks) throws Exception {
        PushRequest req = parser.parse(body, receivedAt);
        List<Change> changes = req.changes();
        int n = changes.size();
        ChangeError[] errors = new ChangeError[n];
        Map<String, Set<String>> keysByStore = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            Change c = changes.get(i);
            errors[i] = validator.check(c);
            if (errors[i] == null) {
                keysByStore.computeIfAbsent(c.db() + "/" + c.store(), k -> new TreeSet<>()).add(c.keyString());
            }
        }
        String clientKey = req.db() + "/" + req.clientId();
        long now = System.currentTimeMillis();
        Result[] results = new Result[n];
        List<SinkEvent> events = new ArrayList<>(n);
        List<String> lines = new ArrayList<>(n);
        try (ClientTransaction tx = sinks.begin()) {
            String stored = sinks.mark(clientKey);
            long mark = stored == null ? changes.get(0).seq() - 1 : Long.parseLong(stored);
            Map<String, Map<String, RecordState>> states = new HashMap<>();
            for (Map.Entry<String, Set<String>> e : keysByStore.entrySet()) {
                states.put(e.getKey(), sinks.records(e.getKey(), e.getValue()));
            }
            Map<String, Map<String, String>> writes = new TreeMap<>();
            long first = changes.get(0).seq();
            long last = mark;
            for (int i = 0; i < n; i++) {
                Change c = changes.get(i);
                if (c.seq() <= mark) {
                    results[i] = new Result(c.seq(), Status.DUPLICATE, null, null, null, null, Status.APPLIED, null);
                    continue;
                }
                if (first > mark + 1) {
                    results[i] = new Result(c.seq(), Status.OUT_OF_ORDER, null, null, null, null, null, mark + 1);
                    continue;
                }
                last = c.seq();
                if (errors[i] != null) {
                    results[i] = Result.rejected(c.seq(), errors[i]);
                    lines.add(rejectedLine(c, errors[i], now));
                    continue;
                }
                results[i] = decide(c, now, states, writes, events, lines);
            }
            sinks.commit(tx, writes, clientKey, last, mark);
        }
        sinks.sendToFlume(events);
        sinks.appendAndSync(lines);
        ObjectNode answer = Json.MAPPER.createObjectNode();
        ArrayNode arr = answer.putArray("results");
        for (Result r : results) {
            arr.addPOJO(r);
        }
        return Json.MAPPER.writeValueAsBytes(answer);
    }

    /**
     * Decides an admitted change that passed its checks against the record's state so far; adds
     * the new version to {@code writes}, and its event or rejected entry to {@code events} and
     * {@code lines}.
     */
    private Result decide(Change c, long now, Map<String, Map<String, RecordState>> states,
                          Map<String, Map<String, String>> writes, List<SinkEvent> events, List<String> lines) {
        String storeKey = c.db() + "/" + c.store();
        StoreConfig store = config.store(c.db(), c.store());
        Map<String, RecordState> m = states.get(storeKey);
        RecordState current = m.get(c.keyString());
        Decision d = resolver.decide(c, current, store.policy(), policies.get(storeKey), now);
        if (d.next() != null) {
            m.put(c.keyString(), d.next());
            writes.computeIfAbsent(storeKey, k -> new TreeMap<>()).put(c.keyString(), d.next().toJson());
        }
        RecordState after = d.next() != null ? d.next() : current;
        if (d.result().status() != Status.REJECTED && after != null) {
            boolean conflict = d.result().status() == Status.CONFLICT;
            SinkEvent ev = new SinkEvent(c.eventId(), c.db(), c.store(), c.key(), c.keyString(), after.op(),
                    after.value(), after.version(), c.clientId(), c.seq(), c.correctedTs(), now,
                    d.result().status(), conflict ? d.result().policy() : null, conflict ? c.op() : null,
                    conflict ? c.value() : null);
            events.add(ev);
            lines.add(FileLines.changeLine(ev));
        } else if (d.result().status() == Status.REJECTED) {
            lines.add(rejectedLine(c, d.result().error(), now));
        }
        return d.result();
    }

    /** A rejected change's line, its value bounded as the topology bounds it. */
    private String rejectedLine(Change c, ChangeError error, long now) {
        return RejectedLog.entry(c, error, now, config.limits().maxRejectedValueBytes()).toString();
    }
}
