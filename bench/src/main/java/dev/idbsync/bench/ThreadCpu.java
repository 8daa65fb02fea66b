package dev.idbsync.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CPU time of every thread of a target over a measured window ({@code --threads}): each
 * thread's utime + stime from {@code /proc/PID/task/TID/stat} at the window's start and end,
 * its name from {@code jcmd PID Thread.print} (the Java name, where {@code /proc} keeps only 15
 * characters), threads of one pool added up under the name with its digits as {@code #}. It
 * counts what JFR's samples miss: the JIT's and GC's threads, native code and the kernel's time.
 */
final class ThreadCpu {
    /** Groups listed per window; the rest are summed in one line. */
    static final int LISTED = 25;
    private static final Pattern NID = Pattern.compile("^\"(.*?)\".*?\\bnid=(0x[0-9a-f]+)", Pattern.MULTILINE);

    private ThreadCpu() {
    }

    /**
     * Reads the threads of {@code pid} at {@code fromNanos} and {@code toNanos} (System.nanoTime)
     * on a daemon thread; the lines for the report, or one line saying why there are none.
     */
    static CompletableFuture<List<String>> watch(long pid, long fromNanos, long toNanos) {
        CompletableFuture<List<String>> out = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                sleepUntil(fromNanos);
                long t0 = System.nanoTime();
                Map<Long, Long> a = ticks(pid);
                sleepUntil(toNanos);
                Map<Long, Long> b = ticks(pid);
                double seconds = (System.nanoTime() - t0) / 1e9;
                // after the window: the thread dump stops the target's threads for a moment
                out.complete(lines(a, b, names(pid), pid, seconds));
            } catch (Exception e) {
                out.complete(List.of("(the threads could not be read: " + e + ")"));
            }
        }, "threads-" + pid);
        t.setDaemon(true);
        t.start();
        return out;
    }

    /** The lines of one window: total, then the groups by cores, most first. */
    static List<String> lines(Map<Long, Long> a, Map<Long, Long> b, Map<Long, String> names, long pid, double seconds) {
        double hz = Samples.TICKS_PER_SECOND;
        Map<String, Double> groups = new LinkedHashMap<>();
        double total = 0;
        for (Map.Entry<Long, Long> e : b.entrySet()) {
            double cores = (e.getValue() - a.getOrDefault(e.getKey(), 0L)) / hz / seconds;
            String name = names.getOrDefault(e.getKey(), comm(pid, e.getKey()));
            groups.merge(group(name), cores, Double::sum);
            total += cores;
        }
        List<Map.Entry<String, Double>> sorted = new ArrayList<>(groups.entrySet());
        sorted.sort(Map.Entry.<String, Double>comparingByValue().reversed());
        List<String> out = new ArrayList<>();
        out.add(String.format(Locale.ROOT, "%6.3f cores in all, %d threads, over %.1f s", total, b.size(), seconds));
        double rest = 0;
        for (int i = 0; i < sorted.size(); i++) {
            if (i < LISTED) {
                out.add(String.format(Locale.ROOT, "%6.3f  %s", sorted.get(i).getValue(), sorted.get(i).getKey()));
            } else {
                rest += sorted.get(i).getValue();
            }
        }
        if (sorted.size() > LISTED) {
            out.add(String.format(Locale.ROOT, "%6.3f  (%d more groups)", rest, sorted.size() - LISTED));
        }
        return out;
    }

    /** A pool's threads under one name: digits become {@code #} ("client-connector-#73%node-1%" → "client-connector-##%node-#%"). */
    static String group(String threadName) {
        return threadName.replaceAll("\\d", "#");
    }

    /** utime + stime of each thread, in clock ticks. */
    static Map<Long, Long> ticks(long pid) throws IOException {
        Map<Long, Long> out = new HashMap<>();
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    out.put(Long.parseLong(task.getFileName().toString()), Long.parseLong(f[11]) + Long.parseLong(f[12]));
                } catch (IOException | RuntimeException e) {
                    // the thread ended between the listing and the read
                }
            }
        }
        return out;
    }

    /** Java thread names by native id, from {@code jcmd PID Thread.print}; empty when jcmd cannot tell. */
    static Map<Long, String> names(long pid) throws InterruptedException {
        Map<Long, String> out = new HashMap<>();
        Path jcmd = ProcessHandle.current().info().command().map(c -> Path.of(c).resolveSibling("jcmd")).orElse(Path.of("jcmd"));
        try {
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print")
                    .redirectErrorStream(true).start();
            String dump = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            Matcher m = NID.matcher(dump);
            while (m.find()) {
                out.put(Long.parseLong(m.group(2).substring(2), 16), m.group(1));
            }
        } catch (IOException e) {
            // no jcmd: the names from /proc
        }
        return out;
    }

    private static String comm(long pid, long tid) {
        try {
            return Files.readString(Path.of("/proc/" + pid + "/task/" + tid + "/comm")).trim();
        } catch (IOException e) {
            return "thread " + tid + " (ended)";
        }
    }

    private static void sleepUntil(long nanos) throws InterruptedException {
        long left;
        while ((left = nanos - System.nanoTime()) > 0) {
            TimeUnit.NANOSECONDS.sleep(left);
        }
    }
}
