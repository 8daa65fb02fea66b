package dev.idbsync.bench;

import dev.idbsync.config.FlumeConfig;
import dev.idbsync.config.IgniteConfig;
import dev.idbsync.config.StoreConfig;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.flume.FlumeClientFactory;
import dev.idbsync.flume.FlumeEvents;
import dev.idbsync.ignite.EmbeddedIgniteNode;
import dev.idbsync.ignite.SyncCaches;
import dev.idbsync.ignite.ThinClientFactory;
import dev.idbsync.protocol.SinkEvent;
import dev.idbsync.resolve.RecordState;
import dev.idbsync.topology.EmbeddedFlumeAgent;
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
import org.apache.flume.Event;
import org.apache.flume.api.RpcClient;
import org.apache.ignite.cache.CacheAtomicityMode;
import org.apache.ignite.client.ClientCache;
import org.apache.ignite.client.ClientTransaction;
import org.apache.ignite.client.IgniteClient;
import org.apache.ignite.transactions.TransactionConcurrency;
import org.apache.ignite.transactions.TransactionIsolation;

/**
 * The same-work reference's sinks, each started and closed here: its own embedded Ignite node
 * (persistent, the local run's settings) with the records and a client's seq mark, its own
 * in-process Flume agent with a Flume RPC client per request thread, and a file synced per push.
 * A diagnostic run can leave some out ({@code --same-work-sinks}); what is left out does nothing.
 */
final class SameWorkSinks implements AutoCloseable {
    static final String MARKS_CACHE = "bench_marks";

    /** Which sinks to use; all three unless a diagnostic run leaves some out (--same-work-sinks). */
    private final boolean useIgnite;
    private final boolean useFlume;
    private final boolean useFile;
    private final long txTimeoutMs;
    private final EmbeddedIgniteNode node;
    private final EmbeddedFlumeAgent agent;
    private final IgniteClient ignite;
    private final ClientCache<String, String> marks;
    private final Map<String, ClientCache<String, String>> records = new HashMap<>();
    private final FlumeClientFactory flumeFactory;
    private final ThreadLocal<RpcClient> flume;
    private final List<RpcClient> flumeClients = new ArrayList<>();
    private final FileChannel file;

    /** Starts the sinks in {@code sinks} (ignite, flume, file) for {@code config}, with their data under {@code data}. */
    SameWorkSinks(SyncConfig config, List<String> sinks, Path root, Path data, int flumePort) throws Exception {
        useIgnite = sinks.contains("ignite");
        useFlume = sinks.contains("flume");
        useFile = sinks.contains("file");
        IgniteConfig ic = config.ignite();
        FlumeConfig fc = config.flume();
        txTimeoutMs = ic.clientTimeoutMs();
        // The reference's caches as the local run's node creates the topology's: ignite.embedded.cachePartitions
        List<SyncCaches.CacheSpec> specs = new ArrayList<>();
        for (StoreConfig s : config.allStores()) {
            specs.add(spec(s.cache()));
        }
        specs.add(spec(MARKS_CACHE));
        node = useIgnite ? EmbeddedIgniteNode.start(ic, data.resolve("ignite"), specs) : null;
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
    }

    /** The reference keeps its marks in a TRANSACTIONAL cache too: they are read and written in its transaction. */
    private static SyncCaches.CacheSpec spec(String name) {
        return new SyncCaches.CacheSpec(name, CacheAtomicityMode.TRANSACTIONAL, 0);
    }

    private ClientCache<String, String> cache(String name, int backups) {
        return ignite.getOrCreateCache(spec(name).client(backups));
    }

    /** An Ignite transaction, OPTIMISTIC SERIALIZABLE like the resolver's; null without Ignite. */
    ClientTransaction begin() {
        return useIgnite ? ignite.transactions().txStart(TransactionConcurrency.OPTIMISTIC,
                TransactionIsolation.SERIALIZABLE, txTimeoutMs) : null;
    }

    /** The client's stored seq mark, or null (none yet, or no Ignite). */
    String mark(String clientKey) {
        return useIgnite ? marks.getAll(Set.of(clientKey)).get(clientKey) : null;
    }

    /** The records of one store ("db/store") at these keys, by key; a map to update as changes are decided. */
    Map<String, RecordState> records(String storeKey, Set<String> keys) {
        Map<String, RecordState> m = new HashMap<>();
        if (useIgnite) {
            records.get(storeKey).getAll(keys).forEach((k, v) -> m.put(k, RecordState.fromJson(v)));
        }
        return m;
    }

    /** Writes the new record versions (by "db/store", then key) and the client's mark if it moved, and commits. */
    void commit(ClientTransaction tx, Map<String, Map<String, String>> writes, String clientKey, long last, long mark) {
        if (!useIgnite) {
            return;
        }
        for (Map.Entry<String, Map<String, String>> e : writes.entrySet()) {
            records.get(e.getKey()).putAll(e.getValue());
        }
        if (last > mark) {
            marks.putAll(Map.of(clientKey, Long.toString(last)));
        }
        tx.commit();
    }

    /** One Flume appendBatch of the events, with this thread's client. */
    void sendToFlume(List<SinkEvent> events) throws Exception {
        if (useFlume && !events.isEmpty()) {
            List<Event> batch = new ArrayList<>(events.size());
            for (SinkEvent ev : events) {
                batch.add(FlumeEvents.of(ev));
            }
            flume.get().appendBatch(batch);
        }
    }

    /** One append of the lines to the file, then {@code FileChannel.force}. */
    void appendAndSync(List<String> lines) throws IOException {
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
    }

    @Override
    public void close() {
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
