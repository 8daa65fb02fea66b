package dev.idbsync.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.validate.ChangeValidator;
import dev.idbsync.ignite.EmbeddedIgniteNode;
import dev.idbsync.ignite.RejectedLog;
import dev.idbsync.ignite.ThinClientFactory;
import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.FlumeConfig;
import dev.idbsync.config.IgniteConfig;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.files.FileLines;
import dev.idbsync.flume.FlumeClientFactory;
import dev.idbsync.flume.FlumeEvents;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.ProtocolException;
import dev.idbsync.protocol.PushRequest;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.SinkEvent;
import dev.idbsync.protocol.Status;
import dev.idbsync.resolve.ConflictPolicies;
import dev.idbsync.resolve.ConflictPolicy;
import dev.idbsync.resolve.Decision;
import dev.idbsync.resolve.RecordState;
import dev.idbsync.resolve.Resolver;
import dev.idbsync.topology.EmbeddedFlumeAgent;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.flume.Event;
import org.apache.flume.api.RpcClient;
import org.apache.ignite.cache.CacheAtomicityMode;
import org.apache.ignite.cache.CacheMode;
import org.apache.ignite.cache.CacheWriteSynchronizationMode;
import org.apache.ignite.client.ClientCache;
import org.apache.ignite.client.ClientCacheConfiguration;
import org.apache.ignite.client.ClientTransaction;
import org.apache.ignite.client.IgniteClient;
import org.apache.ignite.transactions.TransactionConcurrency;
import org.apache.ignite.transactions.TransactionIsolation;

/**
 * The same-work reference: a plain Undertow handler, no Storm, that does per request the durable
 * work of a push with the libraries the topology uses, against its own embedded Ignite node
 * (persistent, {@link EmbeddedIgniteNode}, the local run's settings), its own in-process Flume
 * agent ({@link EmbeddedFlumeAgent} with {@code conf/flume/local-agent.properties}) and the disk:
 * <ol>
 * <li>the envelope ({@code EnvelopeParser}) and each change's checks ({@link ChangeValidator}:
 *     store, limits, the store's JSON Schema);</li>
 * <li>one Ignite transaction (thin client, OPTIMISTIC SERIALIZABLE, like the resolver's):
 *     {@code getAll} of the client's seq mark and of the records, each change decided by the
 *     store's policy ({@link Resolver}, record format {@link RecordState}), {@code putAll} of the
 *     new record versions and of the mark, commit;</li>
 * <li>one Flume {@code appendBatch} of the changes' events ({@link FlumeEvents}) with the SDK's
 *     RPC client ({@link FlumeClientFactory});</li>
 * <li>one append of the changes' lines ({@link FileLines}) to a file, then
 *     {@code FileChannel.force};</li>
 * <li>the answer: one result per change.</li>
 * </ol>
 * Requests run on a pool as large as the heaviest shape's client count, so that every sink sees
 * the concurrency the load offers (concurrent transactions, concurrent fsyncs), nothing more.
 */
final class SameWorkServer implements AutoCloseable {
    static final String MARKS_CACHE = "bench_marks";

    private final SyncConfig config;
    private final EmbeddedIgniteNode node;
    private final EmbeddedFlumeAgent agent;
    private final IgniteClient ignite;
    private final ClientCache<String, String> marks;
    private final Map<String, ClientCache<String, String>> records = new HashMap<>();
    private final Map<String, ConflictPolicy> policies = new HashMap<>();
    private final FlumeClientFactory flumeFactory;
    private final ThreadLocal<RpcClient> flume;
    private final List<RpcClient> flumeClients = new ArrayList<>();
    private final ChangeValidator validator;
    private final dev.idbsync.protocol.EnvelopeParser parser;
    private final Resolver resolver = new Resolver();
    private final FileChannel file;
    private final ExecutorService pool;
    private final Undertow undertow;
    /** Which sinks to use; all three unless a diagnostic run leaves some out (--same-work-sinks). */
    private final boolean useIgnite;
    private final boolean useFlume;
    private final boolean useFile;

    private SameWorkServer(Map<String, String> opts) throws Exception {
        Path root = Path.of(opts.get("root"));
        Path data = Path.of(opts.get("data-dir")).toAbsolutePath().normalize();
        int port = Integer.parseInt(opts.get("port"));
        int thinPort = Integer.parseInt(opts.get("ignite-port"));
        int threads = Integer.parseInt(opts.getOrDefault("threads", "64"));
        Files.createDirectories(data);
        List<String> sinks = List.of(opts.getOrDefault("sinks", "ignite,flume,file").split(","));
        useIgnite = sinks.contains("ignite");
        useFlume = sinks.contains("flume");
        useFile = sinks.contains("file");
        SyncConfig loaded = ConfigLoader.load(root.resolve(opts.getOrDefault("config", "conf/local.yaml")));
        IgniteConfig ic = loaded.ignite().toBuilder()
                .addresses(List.of("127.0.0.1:" + thinPort))
                .discoveryPort(Ports.freePort())
                .communicationPort(Ports.freePort())
                .build();
        int flumePort = Ports.freePort();
        FlumeConfig fc = loaded.flume().toBuilder().agents(List.of("127.0.0.1:" + flumePort)).build();
        config = loaded.toBuilder().ignite(ic).flume(fc).dataDir(data.toString()).build();

        validator = new ChangeValidator(config);
        // as the spout: unconfigured dbs are refused at the envelope
        parser = new dev.idbsync.protocol.EnvelopeParser(config.http().maxChangesPerRequest(),
                db -> config.stores().containsKey(db));
        for (StoreConfig s : config.allStores()) {
            policies.put(s.db() + "/" + s.store(), ConflictPolicies.forName(s.policy(), getClass().getClassLoader()));
        }

        node = useIgnite ? EmbeddedIgniteNode.start(ic, data.resolve("ignite")) : null;
        agent = useFlume ? EmbeddedFlumeAgent.start(root.resolve("conf/flume/local-agent.properties"), data, flumePort) : null;
        ignite = useIgnite ? new ThinClientFactory(ic).create() : null;
        // The settings of the topology's caches (SyncCaches): partitioned, FULL_SYNC, transactional.
        for (StoreConfig s : config.allStores()) {
            records.put(s.db() + "/" + s.store(), useIgnite ? cache(s.cache(), ic.cacheBackups()) : null);
        }
        marks = useIgnite ? cache(MARKS_CACHE, ic.cacheBackups()) : null;
        flumeFactory = new FlumeClientFactory(fc);
        flume = ThreadLocal.withInitial(() -> {
            RpcClient c = flumeFactory.create();
            synchronized (flumeClients) {
                flumeClients.add(c);
            }
            return c;
        });
        Path lines = data.resolve("changes/same-work.jsonl");
        Files.createDirectories(lines.getParent());
        file = FileChannel.open(lines, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);

        pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "same-work");
            t.setDaemon(true);
            return t;
        });
        undertow = Undertow.builder()
                .addHttpListener(port, "127.0.0.1")
                .setIoThreads(Math.max(2, Runtime.getRuntime().availableProcessors()))
                .setHandler(this::handle)
                .build();
        undertow.start();
    }

    static AutoCloseable start(Map<String, String> opts) throws Exception {
        return new SameWorkServer(opts);
    }

    private ClientCache<String, String> cache(String name, int backups) {
        return ignite.getOrCreateCache(new ClientCacheConfiguration()
                .setName(name)
                .setCacheMode(CacheMode.PARTITIONED)
                .setBackups(backups)
                .setAtomicityMode(CacheAtomicityMode.TRANSACTIONAL)
                .setWriteSynchronizationMode(CacheWriteSynchronizationMode.FULL_SYNC));
    }

    private void handle(HttpServerExchange ex) {
        long receivedAt = System.currentTimeMillis();
        ex.getRequestReceiver().receiveFullBytes((e, body) -> e.dispatch(pool, () -> {
            try {
                byte[] answer = push(body, receivedAt);
                e.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
                e.getResponseSender().send(ByteBuffer.wrap(answer));
            } catch (ProtocolException p) {
                e.setStatusCode(p.httpStatus());
                e.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
                e.getResponseSender().send(p.toJson());
            } catch (Exception x) {
                e.setStatusCode(503);
                e.getResponseHeaders().put(Headers.RETRY_AFTER, "1");
                e.getResponseSender().send("{\"error\":{\"code\":\"unavailable\",\"message\":\"" + x.toString()
                        .replace('"', '\'').replace('\\', '/') + "\"}}");
            }
        }));
    }

    /** The whole durable work of one push; returns the answer's body. */
    byte[] push(byte[] body, long receivedAt) throws Exception {
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
        try (ClientTransaction tx = useIgnite ? ignite.transactions().txStart(TransactionConcurrency.OPTIMISTIC,
                TransactionIsolation.SERIALIZABLE, config.ignite().clientTimeoutMs()) : null) {
            String stored = useIgnite ? marks.getAll(Set.of(clientKey)).get(clientKey) : null;
            long mark = stored == null ? changes.get(0).seq() - 1 : Long.parseLong(stored);
            Map<String, Map<String, RecordState>> states = new HashMap<>();
            for (Map.Entry<String, Set<String>> e : keysByStore.entrySet()) {
                Map<String, RecordState> m = new HashMap<>();
                if (useIgnite) {
                    records.get(e.getKey()).getAll(e.getValue()).forEach((k, v) -> m.put(k, RecordState.fromJson(v)));
                }
                states.put(e.getKey(), m);
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
                    lines.add(RejectedLog.entry(c, errors[i], now, config.limits().maxRejectedValueBytes()).toString());
                    continue;
                }
                String storeKey = c.db() + "/" + c.store();
                StoreConfig store = config.store(c.db(), c.store());
                Map<String, RecordState> m = states.get(storeKey);
                RecordState current = m.get(c.keyString());
                Decision d = resolver.decide(c, current, store.policy(), policies.get(storeKey), now);
                results[i] = d.result();
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
                    lines.add(RejectedLog.entry(c, d.result().error(), now, config.limits().maxRejectedValueBytes()).toString());
                }
            }
            if (useIgnite) {
                for (Map.Entry<String, Map<String, String>> e : writes.entrySet()) {
                    records.get(e.getKey()).putAll(e.getValue());
                }
                if (last > mark) {
                    marks.putAll(Map.of(clientKey, Long.toString(last)));
                }
                tx.commit();
            }
        }
        if (useFlume && !events.isEmpty()) {
            List<Event> batch = new ArrayList<>(events.size());
            for (SinkEvent ev : events) {
                batch.add(FlumeEvents.of(ev));
            }
            flume.get().appendBatch(batch);
        }
        if (useFile && !lines.isEmpty()) {
            StringBuilder b = new StringBuilder(lines.size() * 400);
            for (String l : lines) {
                b.append(l).append('\n');
            }
            ByteBuffer buf = ByteBuffer.wrap(b.toString().getBytes(StandardCharsets.UTF_8));
            while (buf.hasRemaining()) {
                file.write(buf);
            }
            file.force(false);
        }
        ObjectNode answer = Json.MAPPER.createObjectNode();
        ArrayNode arr = answer.putArray("results");
        for (Result r : results) {
            arr.addPOJO(r);
        }
        return Json.MAPPER.writeValueAsBytes(answer);
    }

    @Override
    public void close() {
        undertow.stop();
        pool.shutdown();
        synchronized (flumeClients) {
            for (RpcClient c : flumeClients) {
                c.close();
            }
        }
        try {
            file.close();
        } catch (IOException e) {
            // closing
        }
        if (ignite != null) {
            ignite.close();
        }
        if (agent != null) {
            agent.close();
        }
        if (node != null) {
            node.close();
        }
    }
}
