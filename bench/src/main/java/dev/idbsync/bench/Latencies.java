package dev.idbsync.bench;

import java.util.Arrays;

/** Request latencies in nanoseconds: one recorder per client thread, merged for the percentiles. */
final class Latencies {
    private long[] nanos = new long[4096];
    private int count;

    void record(long latency) {
        if (count == nanos.length) {
            nanos = Arrays.copyOf(nanos, nanos.length * 2);
        }
        nanos[count++] = latency;
    }

    /** Every latency of these recorders, sorted. */
    static long[] sorted(Latencies[] all) {
        int total = 0;
        for (Latencies l : all) {
            total += l.count;
        }
        long[] out = new long[total];
        int at = 0;
        for (Latencies l : all) {
            System.arraycopy(l.nanos, 0, out, at, l.count);
            at += l.count;
        }
        Arrays.sort(out);
        return out;
    }

    /** The p-th percentile of sorted latencies, in milliseconds; NaN when there are none. */
    static double percentileMs(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    /** The largest of sorted latencies, in milliseconds; NaN when there are none. */
    static double maxMs(long[] sorted) {
        return sorted.length == 0 ? Double.NaN : sorted[sorted.length - 1] / 1e6;
    }
}
