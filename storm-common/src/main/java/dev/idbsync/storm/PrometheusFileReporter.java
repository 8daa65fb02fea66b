package dev.idbsync.storm;

import com.codahale.metrics.MetricRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.storm.Config;
import org.apache.storm.metrics2.MetricRegistryProvider;
import org.apache.storm.metrics2.reporters.ScheduledStormReporter;
import org.apache.storm.metrics2.reporters.StormReporter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Storm metrics v2 reporter ({@code topology.metrics.reporters}) that writes every metric of its
 * worker, in the Prometheus text format ({@link PrometheusText}), to one file per worker for
 * node_exporter's textfile collector ({@code --collector.textfile.directory}). Each worker JVM
 * writes {@code <dir>/idbsync-<topology id>-<pid>.prom} every {@code report.period}
 * {@code report.period.units} (10 seconds by default), by writing a temporary file and renaming
 * it, as the collector requires; a clean stop deletes the file, and a start deletes the files of
 * the same topology no worker has written for ten periods (a worker killed with SIGKILL).
 * Reporter keys: {@value #DIR} (required), {@code report.period}, {@code report.period.units}.
 * docs/operations.md, "Metrics", says why a file and not a port.
 */
public final class PrometheusFileReporter implements StormReporter {
    private static final Logger LOG = LoggerFactory.getLogger(PrometheusFileReporter.class);
    /** The reporter's key: the textfile collector's directory. */
    public static final String DIR = "dir";

    private MetricRegistry registry;
    private Path dir;
    private Path file;
    private String prefix;
    private long periodMs;
    private ScheduledExecutorService timer;

    @Override
    public void prepare(MetricRegistryProvider provider, Map<String, Object> topoConf, Map<String, Object> reporterConf) {
        prepare(provider.getRegistry(), topoConf, reporterConf);
    }

    @Override
    public void prepare(MetricRegistry metricsRegistry, Map<String, Object> topoConf, Map<String, Object> reporterConf) {
        Object d = reporterConf.get(DIR);
        if (!(d instanceof String s) || s.isBlank()) {
            throw new IllegalArgumentException("topology.metrics.reporters: " + getClass().getName() + " needs \""
                    + DIR + "\", the directory of node_exporter's textfile collector; got " + d);
        }
        registry = metricsRegistry;
        dir = Paths.get(s);
        prefix = "idbsync-" + topoConf.getOrDefault(Config.STORM_ID, "local") + "-";
        file = dir.resolve(prefix + ProcessHandle.current().pid() + ".prom");
        periodMs = ScheduledStormReporter.getReportPeriodUnit(reporterConf)
                .toMillis(ScheduledStormReporter.getReportPeriod(reporterConf));
    }

    @Override
    public void start() {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("PrometheusFileReporter: cannot create " + dir, e);
        }
        deleteStale();
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "idbsync-prometheus-file");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::report, 0, periodMs, TimeUnit.MILLISECONDS);
        LOG.info("Writing the worker's metrics to {} every {} ms", file, periodMs);
    }

    /** Writes the file now (the timer does every period). */
    void report() {
        try {
            Path tmp = dir.resolve("." + file.getFileName() + ".tmp"); // the collector reads *.prom only
            Files.writeString(tmp, PrometheusText.write(registry), StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            LOG.warn("writing the metrics to {} failed: {}", file, e.toString());
        }
    }

    Path file() {
        return file;
    }

    private void deleteStale() {
        long before = System.currentTimeMillis() - 10 * periodMs;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, prefix + "*.prom")) {
            for (Path p : files) {
                if (Files.getLastModifiedTime(p).toMillis() < before) {
                    Files.deleteIfExists(p);
                }
            }
        } catch (IOException e) {
            LOG.warn("looking for stale metrics files in {} failed: {}", dir, e.toString());
        }
    }

    @Override
    public void stop() {
        if (timer != null) {
            timer.shutdownNow();
        }
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            LOG.warn("deleting {} failed: {}", file, e.toString());
        }
    }

    @Override
    public void close() {
        stop();
    }
}
