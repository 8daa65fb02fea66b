package dev.idbsync.spout;

import static dev.idbsync.storm.TupleContract.CHANGES_STREAM;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.ignite.IgniteClientFactory;
import dev.idbsync.health.HealthMonitor;
import dev.idbsync.ignite.IgniteProbe;
import dev.idbsync.health.SinkProbe;
import dev.idbsync.ignite.FeedReader;
import dev.idbsync.ignite.Outcomes;
import dev.idbsync.ignite.PushResults;
import dev.idbsync.ignite.RejectedLog;
import dev.idbsync.ignite.SyncCaches;
import dev.idbsync.config.HttpConfig;
import dev.idbsync.config.IgniteConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.PushRequest;
import dev.idbsync.storm.TupleContract;
import io.undertow.server.HttpServerExchange;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.ignite.client.IgniteClient;
import org.apache.storm.spout.SpoutOutputCollector;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.topology.base.BaseRichSpout;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP spout: each task runs an Undertow listener (task i on {@code http.port + i}), turns
 * every well-formed push into one anchored tuple per change, and answers the push when Storm
 * reports every one of those tuples acked, with the outcomes the bolts stored in Ignite.
 *
 * <p>Delivery: a push is answered 200 only after every tuple of it was acked, that is after every
 * sink made its change durable; any failed or timed-out tuple answers the whole push 503 with
 * {@code Retry-After}, and retrying the same push is safe. Nothing is shared with the bolts but
 * Ignite, so the spout and the bolts may run in different worker processes.
 *
 * <p>Threads: Undertow's threads parse and register pushes; Storm's executor thread emits, acks
 * and fails; a small responder pool reads outcomes and answers. The collector is used only by
 * the executor thread.
 */
public class HttpSyncSpout extends BaseRichSpout {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(HttpSyncSpout.class);

    private final HttpConfig httpConfig;
    private final IgniteConfig igniteConfig;
    private final SyncConfig config;
    private final IgniteClientFactory igniteFactory;
    private final List<SinkProbe> probes;

    private transient SpoutOutputCollector collector;
    private transient SyncHttpServer server;
    private transient IgniteClient ignite;
    private transient SyncCaches caches;
    private transient FeedReader feedReader;
    private transient ConcurrentLinkedQueue<PendingPush> toEmit;
    private transient Map<Long, PendingPush> open;
    private transient AtomicInteger inFlight;
    private transient AtomicLong ids;
    private transient ExecutorService parsers;
    private transient ExecutorService responders;
    private transient ScheduledExecutorService sweeper;
    private transient HealthMonitor health;
    private transient volatile boolean active;
    private transient PendingPush emitting;
    private transient String pushKeyPrefix;

    public HttpSyncSpout(SyncConfig config, IgniteClientFactory igniteFactory) {
        this(config, igniteFactory, List.of(new IgniteProbe(igniteFactory)));
    }

    /** @param probes the sinks GET /health checks (see {@link HealthMonitor}) */
    public HttpSyncSpout(SyncConfig config, IgniteClientFactory igniteFactory, List<SinkProbe> probes) {
        this.probes = List.copyOf(probes);
        this.config = config;
        this.httpConfig = config.http();
        this.igniteConfig = config.ignite();
        this.igniteFactory = igniteFactory;
    }

    @Override
    public void open(Map<String, Object> conf, TopologyContext context, SpoutOutputCollector collector) {
        this.collector = collector;
        toEmit = new ConcurrentLinkedQueue<>();
        open = new ConcurrentHashMap<>();
        inFlight = new AtomicInteger();
        ids = new AtomicLong();
        // Task id plus a random nonce per start: push keys never repeat across tasks or restarts.
        pushKeyPrefix = "t" + context.getThisTaskId() + "-" + Long.toHexString(new SecureRandom().nextLong()) + "-";
        ignite = igniteFactory.create();
        caches = new SyncCaches(ignite, igniteConfig);
        caches.outcomes();
        caches.pushResults();
        caches.feed();
        feedReader = new FeedReader(config, FeedReader.over(caches), System::currentTimeMillis,
                igniteConfig.feedStallSkipMs());
        parsers = new java.util.concurrent.ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS, // queue full: 503
                new java.util.concurrent.ArrayBlockingQueue<>(SyncHttpServer.PARSE_QUEUE), daemon("idbsync-http-parse"));
        responders = Executors.newFixedThreadPool(2, daemon("idbsync-http-respond"));
        sweeper = Executors.newSingleThreadScheduledExecutor(daemon("idbsync-http-timeouts"));
        sweeper.scheduleWithFixedDelay(this::expire, 100, 100, TimeUnit.MILLISECONDS);
        health = new HealthMonitor(probes, System::currentTimeMillis);
        health.start();
        int port = httpConfig.port() == 0 ? 0 : httpConfig.port() + context.getThisTaskIndex();
        server = new SyncHttpServer(httpConfig, new Handoff(), parsers, System::currentTimeMillis);
        server.start(port, config.topology().spoutIoThreads(), config.topology().spoutWorkerThreads());
        active = true;
        LOG.info("HTTP spout task {} listening on http://{}:{} (body limit {} bytes, {} changes per push, {} pushes"
                        + " in flight, timeout {} ms)", context.getThisTaskIndex(), httpConfig.host(), server.port(),
                httpConfig.maxBodyBytes(), httpConfig.maxChangesPerRequest(), httpConfig.maxRequestsInFlight(),
                httpConfig.requestTimeoutMs());
    }

    @Override
    public void declareOutputFields(OutputFieldsDeclarer declarer) {
        declarer.declareStream(CHANGES_STREAM, TupleContract.Received.FIELDS);
    }

    @Override
    public void nextTuple() {
        int emitted = 0;
        while (emitted < config.topology().spoutEmitBatch()) {
            if (emitting == null) {
                emitting = toEmit.poll();
                if (emitting == null) {
                    return;
                }
            }
            PendingPush push = emitting;
            List<Change> changes = push.request.changes();
            if (push.answered()) {
                // Timed out or failed while queued: its remaining changes need not travel.
                emitting = null;
                continue;
            }
            Change c = changes.get(push.nextToEmit);
            collector.emit(CHANGES_STREAM, new TupleContract.Received(c, push.key).values(),
                    new ChangeMessageId(push, push.nextToEmit));
            emitted++;
            if (++push.nextToEmit == changes.size()) {
                emitting = null;
            }
        }
    }

    @Override
    public void ack(Object msgId) {
        PendingPush push = ((ChangeMessageId) msgId).push();
        if (push.outstanding.decrementAndGet() == 0 && !push.answered()) {
            responders.execute(() -> complete(push));
        }
    }

    @Override
    public void fail(Object msgId) {
        ChangeMessageId id = (ChangeMessageId) msgId;
        LOG.debug("{} failed or timed out in the topology; answering its push 503", id);
        answerUnavailable(id.push(), "a change of this push could not be made durable in time; retrying the same"
                + " request is safe");
    }

    @Override
    public void activate() {
        active = true;
    }

    @Override
    public void deactivate() {
        active = false;
    }

    @Override
    public void close() {
        active = false;
        if (server != null) {
            server.stop();
        }
        if (open != null) {
            for (PendingPush p : open.values()) {
                answerUnavailable(p, "the server is shutting down; retry the same request");
            }
        }
        shutdown(sweeper);
        if (health != null) {
            health.close();
        }
        shutdown(responders);
        shutdown(parsers);
        if (ignite != null) {
            try {
                ignite.close();
            } catch (Exception e) {
                LOG.warn("closing the Ignite client failed", e);
            }
        }
    }

    /**
     * Answers a fully acked push from what the bolts stored in Ignite: the outcome of each change,
     * and the sequencer's answer for the changes it refused. An outcome that another push decided
     * makes this change a {@code duplicate}.
     */
    private void complete(PendingPush push) {
        List<Change> changes = push.request.changes();
        Set<String> keys = new TreeSet<>();
        for (Change c : changes) {
            keys.add(Outcomes.key(c));
        }
        Map<String, String> outcomes;
        JsonNode refused;
        try {
            outcomes = caches.outcomes().getAll(keys);
            String r = caches.pushResults().get(push.key);
            refused = r == null ? null : PushResults.parse(r);
        } catch (RuntimeException e) {
            LOG.warn("reading the outcomes of push {} from Ignite failed: {}", push.key, e.toString());
            answerUnavailable(push, "the outcomes could not be read from Ignite; retrying the same request is safe");
            return;
        }
        ObjectNode body = Json.MAPPER.createObjectNode();
        ArrayNode results = body.putArray("results");
        try {
            for (Change c : changes) {
                results.add(result(c, push.key, outcomes.get(Outcomes.key(c)), refused));
            }
        } catch (RuntimeException e) {
            LOG.error("push {}: an outcome in Ignite cannot be read", push.key, e);
            answerUnavailable(push, "an outcome could not be read; see the server's log");
            return;
        }
        if (push.claimAnswer()) {
            finished(push);
            Responses.json(push.exchange, 200, body.toString());
        }
    }

    static ObjectNode result(Change c, String pushKey, String storedOutcome, JsonNode refused) {
        ObjectNode r = Json.MAPPER.createObjectNode();
        r.put("seq", c.seq());
        if (refused != null && c.seq() >= refused.get("fromSeq").asLong()) {
            r.put("status", refused.get("status").asText());
            if (refused.has("expectedSeq")) {
                r.put("expectedSeq", refused.get("expectedSeq").asLong());
            }
            return r;
        }
        if (storedOutcome == null) {
            // Acked without an outcome: the sequencer found it decided long ago, and its outcome
            // is past ignite.outcomeRetentionHours.
            r.put("status", "duplicate");
            return r;
        }
        Outcomes.Answer answer = Outcomes.answerFields(storedOutcome);
        ObjectNode o = answer.result();
        if (pushKey.equals(answer.by())) {
            return o;
        }
        r.put("status", "duplicate");
        r.set("first", o.get("status"));
        for (String f : new String[] {"version", "value", "error", "policy"}) {
            if (o.has(f)) {
                r.set(f, o.get(f));
            }
        }
        return r;
    }

    private void answerUnavailable(PendingPush push, String message) {
        if (push.claimAnswer()) {
            finished(push);
            Responses.retryLater(push.exchange, 503, "unavailable", message, httpConfig.retryAfterSeconds());
        }
    }

    private void finished(PendingPush push) {
        open.remove(push.id);
        inFlight.decrementAndGet();
    }

    private void expire() {
        long now = System.nanoTime();
        for (PendingPush p : open.values()) {
            if (now - p.deadlineNanos > 0) {
                answerUnavailable(p, "the push was not completed within " + httpConfig.requestTimeoutMs()
                        + " ms (http.requestTimeoutMs); retrying the same request is safe");
            }
        }
    }

    private final class Handoff implements SyncHttpServer.Handoff {
        @Override
        public void push(HttpServerExchange exchange, PushRequest request) {
            if (!active) {
                Responses.retryLater(exchange, 503, "unavailable", "the topology is not active; retry later",
                        httpConfig.retryAfterSeconds());
                return;
            }
            if (inFlight.incrementAndGet() > httpConfig.maxRequestsInFlight()) {
                inFlight.decrementAndGet();
                Responses.retryLater(exchange, 503, "unavailable", "the server holds " + httpConfig.maxRequestsInFlight()
                        + " pushes already (http.maxRequestsInFlight); retry later", httpConfig.retryAfterSeconds());
                return;
            }
            long id = ids.incrementAndGet();
            PendingPush push = new PendingPush(id, pushKeyPrefix + id, exchange, request,
                    System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(httpConfig.requestTimeoutMs()));
            open.put(id, push);
            toEmit.add(push);
        }

        @Override
        public boolean knowsDb(String db) {
            return config.stores().containsKey(db);
        }

        @Override
        public String changes(String db, String since, int limit) {
            return feedReader.page(db, since, limit);
        }

        @Override
        public String rejected(String db, String clientId, long since, int limit) {
            RejectedLog.Index index = RejectedLog.readIndex(caches.rejectedIndex().get(RejectedLog.clientKey(db, clientId)));
            // since is a position in the index's commit order (see RejectedLog.Index). A cursor
            // past the end means the index expired and started anew: read it from its start.
            long start = since > index.end() ? index.base() : Math.max(since, index.base());
            List<Long> seqs = new java.util.ArrayList<>();
            for (long i = start; i < index.end() && seqs.size() < limit; i++) {
                seqs.add(index.seqs().get((int) (i - index.base())));
            }
            Set<String> keys = new TreeSet<>();
            seqs.forEach(seq -> keys.add(Change.eventId(db, clientId, seq)));
            Map<String, String> entries = keys.isEmpty() ? Map.of() : caches.rejected().getAll(keys);
            ObjectNode body = Json.MAPPER.createObjectNode();
            ArrayNode list = body.putArray("rejected");
            long retentionMs = TimeUnit.HOURS.toMillis(igniteConfig.rejectedRetentionHours());
            long next = start;
            for (long seq : seqs) {
                String e = entries.get(Change.eventId(db, clientId, seq));
                if (e == null) {
                    long at = index.ats().get((int) (next - index.base()));
                    if (System.currentTimeMillis() - at < retentionMs) {
                        break; // not visible yet (its transaction is committing): read it next time
                    }
                    next++;
                    continue; // past ignite.rejectedRetentionHours
                }
                next++;
                ObjectNode n = Outcomes.parse(e);
                ObjectNode out = list.addObject();
                out.put("seq", seq);
                out.set("change", n.get("change"));
                out.set("error", n.get("error"));
                out.set("at", n.get("at"));
            }
            body.put("cursor", Long.toString(next));
            boolean more = next < index.end();
            body.put("hasMore", more);
            return body.toString();
        }

        @Override
        public HealthMonitor.Answer health() {
            return health.answer(active);
        }
    }

    private static java.util.concurrent.ThreadFactory daemon(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static void shutdown(ExecutorService e) {
        if (e != null) {
            e.shutdownNow();
        }
    }
}
