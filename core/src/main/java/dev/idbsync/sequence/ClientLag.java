package dev.idbsync.sequence;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * How far each client's changes are behind, as one sequencer task sees them, for metrics: per
 * client (db/clientId) the last seq received, the last seq decided (its mark), and when the
 * oldest change received and not decided yet arrived. A client whose every received change is
 * decided is not kept, so only lagging clients cost memory, and at most {@code maxClients} of
 * them (past it the one not heard from longest is dropped). The reads ({@link #maxLag},
 * {@link #top}, ...) are for the metrics reporter's and /metrics' threads; every method is
 * synchronized.
 */
public final class ClientLag {
    /** Per client: changes not decided yet, at most this many remembered (the oldest ones). */
    static final int MAX_PENDING_PER_CLIENT = 64;

    private static final class Entry {
        long received;
        long decided;
        /** seq to the time it was first received, for the seqs above {@code decided}. */
        final TreeMap<Long, Long> pending = new TreeMap<>();
    }

    private final int maxClients;
    private final LinkedHashMap<String, Entry> clients;

    public ClientLag(int maxClients) {
        this.maxClients = maxClients;
        this.clients = new LinkedHashMap<>(64, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Entry> eldest) {
                return size() > ClientLag.this.maxClients;
            }
        };
    }

    /** A change of the client arrived; {@code mark} is the client's last decided seq now. */
    public synchronized void received(String client, long seq, long mark, long now) {
        Entry e = clients.get(client);
        if (e == null) {
            if (seq <= mark) {
                return; // decided already (a duplicate)
            }
            e = new Entry();
            clients.put(client, e);
        }
        e.received = Math.max(e.received, seq);
        if (seq > mark && !e.pending.containsKey(seq)
                && (e.pending.size() < MAX_PENDING_PER_CLIENT || seq < e.pending.lastKey())) {
            e.pending.put(seq, now);
            if (e.pending.size() > MAX_PENDING_PER_CLIENT) {
                e.pending.pollLastEntry();
            }
        }
        decided(client, mark);
    }

    /** The client's mark (last decided seq) is {@code mark} now. */
    public synchronized void decided(String client, long mark) {
        Entry e = clients.get(client);
        if (e == null) {
            return;
        }
        e.decided = Math.max(e.decided, mark);
        e.pending.headMap(e.decided, true).clear();
        if (e.received <= e.decided) {
            clients.remove(client);
        }
    }

    /** Clients with a change received and not decided. */
    public synchronized int lagging() {
        return clients.size();
    }

    /** The largest last-received minus last-decided over the clients; 0 when none lags. */
    public synchronized long maxLag() {
        long max = 0;
        for (Entry e : clients.values()) {
            max = Math.max(max, e.received - e.decided);
        }
        return max;
    }

    /** How long ago (ms) the oldest change not decided yet arrived, over the clients; 0 when none. */
    public synchronized long oldestPendingAgeMs(long now) {
        long oldest = now;
        for (Entry e : clients.values()) {
            for (long at : e.pending.values()) {
                oldest = Math.min(oldest, at);
            }
        }
        return now - oldest;
    }

    /** The {@code n} clients with the largest lag (seqs), largest first. */
    public Map<String, Long> topByLag(int n) {
        return top(n, e -> e.received - e.decided);
    }

    /** The {@code n} clients whose oldest undecided change is oldest, with its age in ms. */
    public Map<String, Long> topByPendingAge(int n, long now) {
        return top(n, e -> e.pending.isEmpty() ? 0 : now - e.pending.values().stream().min(Long::compare).orElse(now));
    }

    private synchronized Map<String, Long> top(int n, ToLongFunction<Entry> value) {
        List<Map.Entry<String, Long>> all = new ArrayList<>();
        for (Iterator<Map.Entry<String, Entry>> it = clients.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Entry> e = it.next();
            all.add(Map.entry(e.getKey(), value.applyAsLong(e.getValue())));
        }
        all.sort(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()).thenComparing(Map.Entry.comparingByKey()));
        Map<String, Long> out = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : all.subList(0, Math.min(n, all.size()))) {
            out.put(e.getKey(), e.getValue());
        }
        return out;
    }
}
