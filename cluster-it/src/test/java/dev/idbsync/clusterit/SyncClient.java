package dev.idbsync.clusterit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One sync client, as the browser library behaves: it pushes its changes in seq order, three
 * per push, one push at a time, and resends from its first unanswered seq after a 503 (waiting
 * {@code Retry-After}), a {@code pending} (a moment later) or a lost connection (then on the
 * other spout port, as a load balancer would). Change {@code s} of client {@code c} always has the
 * same content, a put of {@code {"title": "c#s"}} to key {@code c-k<s % KEYS>} on base version
 * 0, so a resend is the same change. It records every outcome it was told and when each push
 * was sent and answered.
 */
final class SyncClient implements Runnable {
    static final int KEYS = 4;
    static final int PER_PUSH = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    final String id;
    private final int[] ports;
    private int portIndex;
    private final String token;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private volatile boolean stop;
    private volatile long hardStopNanos = Long.MAX_VALUE;
    /** seq -> the outcome as told: status (duplicate: its first status) and version. */
    final Map<Long, Outcome> told = new ConcurrentHashMap<>();
    /** Every push answered 200 with at least one change answered: [sentAtMillis, answeredAtMillis, port]. */
    final List<long[]> answered = java.util.Collections.synchronizedList(new ArrayList<>());
    final Map<String, Integer> answersByKind = new ConcurrentHashMap<>();
    /** Every request: when it was sent and answered, its port, its seqs and what came back. */
    private final List<Request> requests = java.util.Collections.synchronizedList(new ArrayList<>());
    private volatile long acked; // every seq up to it was answered
    volatile String error;

    record Outcome(String status, long version) {
    }

    private record Request(long sent, long done, int port, long from, long to, String answer) {
    }

    /**
     * The requests sent from {@code from} to {@code until} (answered or not), as
     * {@code "sent-done port seqs answer"} with times in seconds from {@code zero}.
     */
    String timeline(long from, long until, long zero) {
        long end = until < 0 ? Long.MAX_VALUE : until;
        List<String> out = new ArrayList<>();
        synchronized (requests) {
            for (Request r : requests) {
                if (r.done >= from && r.sent <= end) {
                    out.add(String.format("%.1f-%.1f %d %d..%d %s", (r.sent - zero) / 1000.0, (r.done - zero) / 1000.0, r.port,
                            r.from, r.to, r.answer));
                }
            }
        }
        return String.join("; ", out);
    }

    SyncClient(String id, int[] ports, int firstPort, String token) {
        this.id = id;
        this.ports = ports;
        this.portIndex = firstPort;
        this.token = token;
    }

    static String key(String client, long seq) {
        return client + "-k" + (seq % KEYS);
    }

    long acked() {
        return acked;
    }

    /** Stop once everything sent was answered; give up at the deadline. */
    void stop(Duration max) {
        hardStopNanos = System.nanoTime() + max.toNanos();
        stop = true;
    }

    @Override
    public void run() {
        long lastSentMax = 0;
        while (System.nanoTime() < hardStopNanos && error == null) {
            if (stop && acked >= lastSentMax) {
                return;
            }
            long from = acked + 1;
            long to = stop ? Math.max(lastSentMax, from) : from + PER_PUSH - 1;
            to = Math.min(to, from + PER_PUSH - 1);
            lastSentMax = Math.max(lastSentMax, to);
            int port = ports[portIndex];
            long sent = System.currentTimeMillis();
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/sync"))
                        .timeout(Duration.ofSeconds(60))
                        .header("Content-Type", "application/json")
                        .header("Authorization", "Bearer " + token)
                        .POST(HttpRequest.BodyPublishers.ofString(body(from, to))).build(), HttpResponse.BodyHandlers.ofString());
                count("http " + r.statusCode());
                requests.add(new Request(sent, System.currentTimeMillis(), port, from, to, r.statusCode() == 200
                        ? statuses(r.body()) : String.valueOf(r.statusCode())));
                if (r.statusCode() == 200) {
                    handle(JSON.readTree(r.body()), sent, port);
                } else if (r.statusCode() == 503 || r.statusCode() == 429) {
                    Thread.sleep(1000L * Long.parseLong(r.headers().firstValue("Retry-After").orElse("1")));
                } else {
                    error = "push " + from + ".." + to + " to port " + port + ": HTTP " + r.statusCode() + " " + r.body();
                }
            } catch (IOException e) {
                count("connection failed");
                requests.add(new Request(sent, System.currentTimeMillis(), port, from, to, "connection failed"));
                portIndex = (portIndex + 1) % ports.length;
                sleep(200);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void handle(JsonNode answer, long sent, int port) {
        boolean any = false;
        for (JsonNode r : answer.path("results")) {
            long seq = r.path("seq").asLong();
            String status = r.path("status").asText();
            count(status);
            switch (status) {
                case "applied", "conflict", "rejected" -> told.put(seq, new Outcome(status, r.path("version").asLong()));
                case "duplicate" -> told.put(seq, new Outcome(r.path("first").asText("?"), r.path("version").asLong()));
                case "pending" -> {
                    sleep(200);
                    return;
                }
                case "out_of_order" -> {
                    error = "seq " + seq + " answered out_of_order, expectedSeq " + r.path("expectedSeq") + ", after " + acked + " were answered";
                    return;
                }
                default -> {
                    error = "unknown status " + status;
                    return;
                }
            }
            if (seq != acked + 1) {
                error = "answer for seq " + seq + " after " + acked;
                return;
            }
            acked = seq;
            if (!any) {
                any = true;
                answered.add(new long[] {sent, System.currentTimeMillis(), port});
            }
        }
    }

    /** The statuses of an answer's results, e.g. {@code applied,applied,pending}. */
    private static String statuses(String body) {
        try {
            List<String> s = new ArrayList<>();
            JSON.readTree(body).path("results").forEach(r -> s.add(r.path("status").asText()));
            return String.join(",", s);
        } catch (IOException e) {
            return "unreadable";
        }
    }

    private void count(String kind) {
        answersByKind.merge(kind, 1, Integer::sum);
    }

    private String body(long from, long to) {
        ObjectNode push = JSON.createObjectNode().put("db", "notes-app").put("clientId", id).put("sentAt", System.currentTimeMillis());
        ArrayNode changes = push.putArray("changes");
        for (long s = from; s <= to; s++) {
            ObjectNode c = changes.addObject().put("seq", s).put("store", "notes").put("key", key(id, s)).put("op", "put")
                    .put("baseVersion", 0).put("ts", System.currentTimeMillis());
            c.putObject("value").put("title", id + "#" + s);
        }
        return push.toString();
    }

    /** The first push sent at or after {@code t} and answered 200: when it was answered, or -1. */
    long firstAnsweredSentAfter(long t) {
        synchronized (answered) {
            return answered.stream().filter(a -> a[0] >= t).mapToLong(a -> a[1]).min().orElse(-1);
        }
    }

    /** Per key, the seqs of this client's answered changes to it, in order. */
    Map<String, List<Long>> seqsByKey() {
        Map<String, List<Long>> m = new TreeMap<>();
        for (long s = 1; s <= acked; s++) {
            m.computeIfAbsent(key(id, s), k -> new ArrayList<>()).add(s);
        }
        return m;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
