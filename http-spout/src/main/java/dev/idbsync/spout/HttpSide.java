package dev.idbsync.spout;

import dev.idbsync.auth.Authenticator;
import dev.idbsync.auth.Authenticators;
import dev.idbsync.auth.Principal;
import dev.idbsync.config.HttpConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.health.HealthMonitor;
import dev.idbsync.health.SinkProbe;
import dev.idbsync.ignite.Endpoints;
import dev.idbsync.ignite.FeedReader;
import dev.idbsync.ignite.IgniteClientFactory;
import dev.idbsync.ignite.PushAnswers;
import dev.idbsync.ignite.RejectedLogReader;
import dev.idbsync.ignite.SyncCaches;
import dev.idbsync.protocol.PushRequest;
import io.github.bucket4j.TimeMeter;
import io.undertow.server.HttpServerExchange;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import org.apache.ignite.client.IgniteClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP side of one spout task, without Storm: its listener ({@link SyncHttpServer}), the
 * pushes it holds open ({@link OpenPushes}) and their answers from Ignite ({@link PushAnswers}),
 * the pages of GET /v1/changes ({@link FeedReader}) and GET /v1/rejected
 * ({@link RejectedLogReader}), and GET /health ({@link HealthMonitor}). A push it takes goes to
 * {@code emit}; the spout reports back when its tuples were all acked ({@link #acked}) or one
 * failed ({@link #failed}).
 *
 * <p>Threads: Undertow's own; two parse threads; two responder threads, which read a push's
 * outcomes and answer it; the sweeper of {@link OpenPushes}.
 */
final class HttpSide implements SyncHttpServer.Handoff {
    private static final Logger LOG = LoggerFactory.getLogger(HttpSide.class);
    /** How long {@link #close} waits for the answers of the open pushes to be written before Undertow stops. */
    static final long CLOSE_WAIT_MS = 2_000;

    /** Most changes whose outcomes one read fetches for a group of acked pushes (a push alone may have more). */
    static final int ANSWER_GROUP_CHANGES = 2000;

    private final SyncConfig config;
    private final Consumer<PendingPush> emit;
    private final IgniteClient ignite;
    private final FeedReader feedReader;
    private final RejectedLogReader rejectedReader;
    private final PushAnswers answers;
    private final OpenPushes pushes;
    private final HealthMonitor health;
    private final ExecutorService parsers;
    private final ExecutorService responders;
    /** Pushes acked and not answered yet, oldest first (bounded by the open pushes). */
    private final java.util.ArrayDeque<PendingPush> acked = new java.util.ArrayDeque<>();
    private final SyncHttpServer server;
    private final Endpoints endpoints;
    /** Null when auth is off: then no binding is written. */
    private final ClientOwners owners;
    private final Authenticator authenticator;
    private final SpoutMetrics metrics;
    /** GET /metrics' body, or null when the worker's registry cannot be reached. */
    private final Supplier<String> metricsText;
    private volatile boolean active;

    /**
     * Opens its Ignite client and starts its threads; {@link #start} starts the listener.
     *
     * @param keyPrefix unique across spout tasks and restarts: the start of every push key
     * @param env the environment ({@code System::getenv}): the JWT secret and the keystore's password
     */
    HttpSide(SyncConfig config, IgniteClientFactory igniteFactory, List<SinkProbe> probes, String keyPrefix,
             Consumer<PendingPush> emit, Function<String, String> env) {
        this(config, igniteFactory, probes, keyPrefix, emit, env, SpoutMetrics.none(), () -> null);
    }

    /**
     * @param metrics the task's metrics
     * @param metricsText GET /metrics' body (the worker's registry in the Prometheus text format), or null
     */
    HttpSide(SyncConfig config, IgniteClientFactory igniteFactory, List<SinkProbe> probes, String keyPrefix,
             Consumer<PendingPush> emit, Function<String, String> env, SpoutMetrics metrics,
             Supplier<String> metricsText) {
        HttpConfig http = config.http();
        this.metrics = metrics;
        this.metricsText = metricsText;
        // First: a missing secret or keystore stops the task before any thread or client is started.
        authenticator = Authenticators.from(config.auth(), env);
        SSLContext tls = http.tls() == null ? null : TlsContexts.load(http.tls(), env);
        this.config = config;
        this.emit = emit;
        ignite = igniteFactory.create();
        SyncCaches caches = new SyncCaches(ignite, config.ignite());
        caches.outcomes();
        caches.pushResults();
        caches.feed();
        endpoints = new Endpoints(caches.endpoints());
        feedReader = new FeedReader(config, FeedReader.over(caches), System::currentTimeMillis,
                config.ignite().feedStallSkipMs());
        rejectedReader = new RejectedLogReader(RejectedLogReader.over(caches), System::currentTimeMillis,
                TimeUnit.HOURS.toMillis(config.ignite().rejectedRetentionHours()));
        answers = new PushAnswers(PushAnswers.over(caches), config.retention().markHorizonMs() > 0);
        pushes = new OpenPushes(http, keyPrefix, System::nanoTime);
        pushes.startSweeper();
        metrics.gauge(SpoutMetrics.OPEN_PUSHES_GAUGE, pushes::size);
        parsers = new ThreadPoolExecutor(2, 2, 0, TimeUnit.MILLISECONDS, // queue full: 503
                new ArrayBlockingQueue<>(PushBodies.PARSE_QUEUE), OpenPushes.daemon("idbsync-http-parse"));
        responders = Executors.newFixedThreadPool(2, OpenPushes.daemon("idbsync-http-respond"));
        health = new HealthMonitor(probes, System::currentTimeMillis);
        health.start();
        owners = authenticator == Authenticator.NONE ? null : new ClientOwners(
                ClientOwners.over(caches.owners(), config.retention().ownerHorizonMs()), config.retention().ownerHorizonMs(),
                System::currentTimeMillis);
        Gate gate = new Gate(authenticator, new RateLimits(config.rateLimit(), TimeMeter.SYSTEM_NANOTIME));
        server = new SyncHttpServer(http, this, parsers, System::currentTimeMillis, gate, tls, metrics);
    }

    /** Starts the listener on {@code port} (0: any free port) and takes pushes. */
    void start(int port) {
        server.start(port, config.topology().spoutIoThreads(), config.topology().spoutWorkerThreads());
        active = true;
    }

    int port() {
        return server.port();
    }

    String scheme() {
        return server.scheme();
    }

    /** Where this task registers its endpoint, through its own Ignite client. */
    Endpoints endpoints() {
        return endpoints;
    }

    /** Where the listener is, for the log: {@code http://host:port} or {@code https://...}. */
    String address() {
        return server.scheme() + "://" + config.http().host() + ":" + server.port();
    }

    /** While inactive, new pushes and GET /health get 503; the open pushes go on. */
    void active(boolean active) {
        this.active = active;
    }

    /**
     * Every tuple of the push was acked: a responder answers it from Ignite, together with the
     * other pushes acked meanwhile (one read for all of them, at most {@link #ANSWER_GROUP_CHANGES}
     * changes).
     */
    void acked(PendingPush push) {
        synchronized (acked) {
            acked.add(push);
        }
        responders.execute(this::answerAcked);
    }

    private void answerAcked() {
        List<PendingPush> group = new ArrayList<>();
        List<PushAnswers.Question> questions = new ArrayList<>();
        int changes = 0;
        synchronized (acked) {
            PendingPush next;
            while ((next = acked.peek()) != null
                    && (group.isEmpty() || changes + next.request.changes().size() <= ANSWER_GROUP_CHANGES)) {
                acked.poll();
                group.add(next);
                questions.add(new PushAnswers.Question(next.key, next.request.changes()));
                changes += next.request.changes().size();
            }
        }
        if (group.isEmpty()) {
            return; // an earlier task answered this one's push with its own
        }
        List<PushAnswers.Answer> all = answers.answerAll(questions);
        for (int i = 0; i < group.size(); i++) {
            PendingPush push = group.get(i);
            if (all.get(i) instanceof PushAnswers.Results r) {
                if (pushes.answer(push, r.json())) {
                    long took = System.nanoTime() - push.openedNanos;
                    metrics.answered(r.json(), took);
                }
            } else {
                pushes.unavailable(push, Refusal.ANSWER_UNREADABLE, ((PushAnswers.Unavailable) all.get(i)).message());
            }
        }
    }

    /** A tuple of the push failed or timed out. */
    void failed(PendingPush push) {
        pushes.unavailable(push, Refusal.TOPOLOGY_FAILED, "a change of this push could not be made durable in time; retrying the same"
                + " request is safe");
    }

    /** New pushes get 503; the open pushes are answered 503 and their answers written; then Undertow stops. */
    void close() {
        active = false;
        server.stop(); // answerOpenPushes() first
        pushes.close(0); // when the listener never started
        health.close();
        responders.shutdownNow();
        parsers.shutdownNow();
        try {
            if (authenticator instanceof AutoCloseable c) {
                c.close(); // a JWKS source's refresh
            }
        } catch (Exception e) {
            LOG.warn("closing the token check failed", e);
        }
        try {
            ignite.close();
        } catch (Exception e) {
            LOG.warn("closing the Ignite client failed", e);
        }
    }

    @Override
    public void push(HttpServerExchange exchange, PushRequest request) {
        // On the parse thread: every answer goes out on the exchange's I/O thread (Responses#onIoThread says why).
        if (!active) {
            Responses.onIoThread(exchange, () -> Responses.retryLater(exchange, Refusal.INACTIVE,
                    "the topology is not active; retry later", config.http().retryAfterSeconds()));
            return;
        }
        Principal principal = Gate.principal(exchange);
        if (!principal.all()) {
            try {
                // before anything is emitted: another user's clientId must not use up, skip or answer its seqs
                if (principal.user() == null || !owners.claim(request.db(), request.clientId(), principal.user())) {
                    Responses.onIoThread(exchange, () -> Gate.forbidden(exchange, "this clientId belongs to another"
                            + " user; make up a new clientId for this user's client"));
                    return;
                }
            } catch (RuntimeException e) {
                LOG.warn("checking who owns a clientId failed: {}", e.toString());
                Responses.onIoThread(exchange, () -> Responses.retryLater(exchange, Refusal.OWNERS_UNREADABLE,
                        "who owns this clientId could not be read from Ignite; retry the same request",
                        config.http().retryAfterSeconds()));
                return;
            }
        }
        PendingPush push = pushes.open(Responses.replyTo(exchange), request);
        if (push != null) {
            metrics.pushes.inc();
            emit.accept(push);
        }
    }

    @Override
    public void answerOpenPushes() {
        pushes.close(CLOSE_WAIT_MS);
        // A 200 claimed just before may still be on its way out: let the responders finish it.
        responders.shutdown();
        try {
            responders.awaitTermination(CLOSE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean knowsDb(String db) {
        return config.stores().containsKey(db);
    }

    @Override
    public String changes(String db, String since, int limit) {
        String page = feedReader.page(db, since, limit);
        metrics.feedPages.inc();
        return page;
    }

    @Override
    public boolean mayReadRejected(Principal principal, String db, String clientId) {
        return principal.all() || principal.user() != null && owners.owns(db, clientId, principal.user());
    }

    @Override
    public String rejected(String db, String clientId, long since, int limit) {
        String page = rejectedReader.page(db, clientId, since, limit);
        metrics.rejectedPages.inc();
        return page;
    }

    @Override
    public String metrics() {
        return metricsText.get();
    }

    @Override
    public HealthMonitor.Answer health() {
        return health.answer(active);
    }
}
