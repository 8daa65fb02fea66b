package dev.idbsync.bench;

import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.FlumeConfig;
import dev.idbsync.config.IgniteConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.files.FileLines;
import dev.idbsync.flume.FlumeClientFactory;
import dev.idbsync.flume.FlumeEvents;
import dev.idbsync.ignite.EmbeddedIgniteNode;
import dev.idbsync.protocol.ProtocolException;
import dev.idbsync.resolve.RecordState;
import dev.idbsync.resolve.Resolver;
import dev.idbsync.topology.EmbeddedFlumeAgent;
import dev.idbsync.validate.ChangeValidator;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The same-work reference: a plain Undertow handler, no Storm, that does per request the durable
 * work of a push with the libraries the topology uses, against its own embedded Ignite node
 * (persistent, {@link EmbeddedIgniteNode}, the local run's settings), its own in-process Flume
 * agent ({@link EmbeddedFlumeAgent} with {@code conf/flume/local-agent.properties}) and the disk
 * ({@link SameWorkSinks}); the work itself is {@link SameWorkPush}:
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
    private final SameWorkPush work;
    private final SameWorkSinks sinks;
    private final ExecutorService pool;
    private final Undertow undertow;

    private SameWorkServer(Map<String, String> opts) throws Exception {
        Path root = Path.of(opts.get("root"));
        Path data = Path.of(opts.get("data-dir")).toAbsolutePath().normalize();
        int port = Integer.parseInt(opts.get("port"));
        int thinPort = Integer.parseInt(opts.get("ignite-port"));
        int threads = Integer.parseInt(opts.getOrDefault("threads", "64"));
        Files.createDirectories(data);
        List<String> sinkNames = List.of(opts.getOrDefault("sinks", "ignite,flume,file").split(","));
        SyncConfig loaded = ConfigLoader.load(root.resolve(opts.getOrDefault("config", "conf/local.yaml")));
        IgniteConfig ic = loaded.ignite().toBuilder()
                .addresses(List.of("127.0.0.1:" + thinPort))
                .discoveryPort(Ports.freePort())
                .communicationPort(Ports.freePort())
                .build();
        int flumePort = Ports.freePort();
        FlumeConfig fc = loaded.flume().toBuilder().agents(List.of("127.0.0.1:" + flumePort)).build();
        SyncConfig config = loaded.toBuilder().ignite(ic).flume(fc).dataDir(data.toString()).build();

        work = new SameWorkPush(config);
        sinks = new SameWorkSinks(config, sinkNames, root, data, flumePort);
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

    private void handle(HttpServerExchange ex) {
        long receivedAt = System.currentTimeMillis();
        ex.getRequestReceiver().receiveFullBytes((e, body) -> e.dispatch(pool, () -> {
            try {
                byte[] answer = work.answer(body, receivedAt, sinks);
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

    @Override
    public void close() {
        undertow.stop();
        pool.shutdown();
        sinks.close();
    }
}
