package dev.idbsync.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The machine the figures were measured on: cores, memory, CPU model, kernel, JVM, load. */
record Machine(int nproc, long memTotalKib, String cpuModel, String kernel, String javaVersion, String loadAvg) {

    static Machine describe() {
        return new Machine(Runtime.getRuntime().availableProcessors(), memTotal(), readCpuModel(), readKernel(), readJavaVersion(),
                loadAvgNow());
    }

    /** The 1, 5 and 15 minute load averages now, or "?". */
    static String loadAvgNow() {
        try {
            String[] p = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return p[0] + " " + p[1] + " " + p[2];
        } catch (IOException e) {
            return "?";
        }
    }

    String oneLine() {
        return nproc + " cores (nproc), " + String.format("%.1f", memTotalKib / 1048576.0) + " GiB, " + cpuModel
                + ", Linux " + kernel + ", " + javaVersion.lines().findFirst().orElse("?")
                + "; load average at start " + loadAvg;
    }

    List<String> lines() {
        List<String> l = new ArrayList<>();
        l.add("nproc: " + nproc);
        l.add("memory: " + memTotalKib + " kB (" + String.format("%.1f", memTotalKib / 1048576.0) + " GiB)");
        l.add("cpu: " + cpuModel);
        l.add("kernel: " + kernel);
        l.add("load average at start: " + loadAvg);
        l.add("java -version:");
        javaVersion.lines().forEach(s -> l.add("  " + s));
        return l;
    }

    private static long memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | NumberFormatException e) {
            // unknown
        }
        return -1;
    }

    private static String readCpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // unknown
        }
        return "?";
    }

    private static String readKernel() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    /** What `java -version` prints for the java that runs the benchmark (and its children). */
    private static String readJavaVersion() {
        String java = ProcessHandle.current().info().command().orElse("java");
        try {
            Process p = new ProcessBuilder(java, "-version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor(30, TimeUnit.SECONDS);
            return out;
        } catch (IOException e) {
            return "? (" + e + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "?";
        }
    }
}
