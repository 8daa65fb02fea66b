package dev.idbsync.bench;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * The bodies one virtual client sends: PROTOCOL.md's push, or the same changes as Flume
 * JSONHandler events. Each change is a put of a value of exactly {@code valueBytes} bytes of JSON
 * to one of the client's {@code keys} keys, at random. Not thread-safe: one per client.
 */
final class RequestBodies {
    private static final String POOL;

    static {
        SplittableRandom r = new SplittableRandom(7);
        StringBuilder b = new StringBuilder(1 << 16);
        String alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ";
        for (int i = 0; i < (1 << 16); i++) {
            b.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        POOL = b.toString();
    }

    private final String clientId;
    private final String keyPrefix;
    private final SplittableRandom random;
    private final int changes;
    private final int valueBytes;
    private final int keys;

    RequestBodies(String clientId, String keyPrefix, SplittableRandom random, int changes, int valueBytes, int keys) {
        this.clientId = clientId;
        this.keyPrefix = keyPrefix;
        this.random = random;
        this.changes = changes;
        this.valueBytes = valueBytes;
        this.keys = keys;
    }

    /** PROTOCOL.md's push: puts of values of valueBytes bytes over this client's keys, at random. */
    byte[] push(long first) {
        return push(first, false);
    }

    /** A push of {@code changes} puts to this client's keys 0, 1, 2, ... (one each), seqs from 1: a preload. */
    byte[] pushDistinctKeys() {
        return push(1, true);
    }

    private byte[] push(long first, boolean distinctKeys) {
        long now = System.currentTimeMillis();
        StringBuilder b = new StringBuilder(changes * (valueBytes + 120) + 100);
        b.append("{\"db\":\"notes-app\",\"clientId\":\"").append(clientId).append("\",\"sentAt\":").append(now)
                .append(",\"changes\":[");
        for (int i = 0; i < changes; i++) {
            if (i > 0) {
                b.append(',');
            }
            b.append("{\"seq\":").append(first + i).append(",\"store\":\"notes\",\"key\":\"").append(keyPrefix)
                    .append(distinctKeys ? i : random.nextInt(keys)).append("\",\"op\":\"put\",\"value\":");
            value(b);
            b.append(",\"baseVersion\":0,\"ts\":").append(now).append('}');
        }
        b.append("]}");
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** The same changes as Flume JSONHandler events: identity as headers, the value as body. */
    byte[] flumeEvents(long first) {
        long now = System.currentTimeMillis();
        StringBuilder b = new StringBuilder(changes * (valueBytes + 260) + 10);
        StringBuilder v = new StringBuilder(valueBytes + 8);
        b.append('[');
        for (int i = 0; i < changes; i++) {
            if (i > 0) {
                b.append(',');
            }
            long seq = first + i;
            b.append("{\"headers\":{\"db\":\"notes-app\",\"store\":\"notes\",\"key\":\"").append(keyPrefix)
                    .append(random.nextInt(keys)).append("\",\"op\":\"put\",\"clientId\":\"")
                    .append(clientId).append("\",\"seq\":\"").append(seq).append("\",\"eventId\":\"notes-app/")
                    .append(clientId).append('/').append(seq).append("\",\"ts\":\"").append(now)
                    .append("\"},\"body\":\"");
            v.setLength(0);
            value(v);
            for (int j = 0; j < v.length(); j++) {
                char c = v.charAt(j);
                if (c == '"' || c == '\\') {
                    b.append('\\');
                }
                b.append(c);
            }
            b.append("\"}");
        }
        b.append(']');
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A note of exactly valueBytes bytes of JSON: a title (at most 500 characters) and padding. */
    private void value(StringBuilder b) {
        int v = Math.max(26, valueBytes);
        int text = v - 25; // {"title":"","done":false}
        int title = Math.min(text, 500);
        int rest = text - title;
        b.append("{\"title\":\"");
        int from = random.nextInt(POOL.length() - 1024);
        // the pool holds no quotes or backslashes, so the text needs no escaping
        b.append(POOL, from, from + title);
        if (rest > 0) {
            int pad = Math.max(0, rest - 10); // ,"text":""
            b.append("\",\"text\":\"");
            for (int written = 0; written < pad; ) {
                int n = Math.min(1024, pad - written);
                int f = random.nextInt(POOL.length() - 1024);
                b.append(POOL, f, f + n);
                written += n;
            }
        }
        b.append("\",\"done\":false}");
    }
}
