package dev.idbsync.storm;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.Metric;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Snapshot;
import com.codahale.metrics.Timer;
import io.prometheus.metrics.config.EscapingScheme;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import io.prometheus.metrics.model.snapshots.Quantile;
import io.prometheus.metrics.model.snapshots.Quantiles;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A worker's Storm metrics registry (Dropwizard metrics, as Storm's metrics v2 keeps them) in the
 * Prometheus text format (0.0.4), written by the Prometheus Java client's own writer
 * ({@code prometheus-metrics-exposition-textformats}); this class only maps the registry onto
 * that client's model. The client's Dropwizard bridge is not used: it is not published at the
 * version of the writer, and it would turn Storm's long names into one family per task.
 *
 * <p>Names: Storm registers a metric of a task as
 * {@code storm.topology.<topologyId>.<host>.<component>.<task>.<workerPort>-<name>} (and Storm's own as
 * {@code storm.worker...}); those parts become the labels {@code topology}, {@code host},
 * {@code component}, {@code task}, {@code worker_port} (and {@code stream}), so one family holds
 * every task's value. A name may carry labels of its own, {@code base{key=value,...}}
 * ({@link #name}): {@code idbsync.changes{status=applied}} is the family
 * {@code idbsync_changes_total} with {@code status="applied"}. A gauge whose value is a map is a
 * bounded table: its name has one label whose value is {@value #TABLE}, and each entry of the map is
 * a data point with the entry's key as that label's value ({@code idbsync.sequence.client.lag{client=*}}). idbsync's names start with
 * {@code idbsync.}; every other metric (Storm's own) is given the prefix {@code storm_}.
 *
 * <p>Types: a counter or a meter is a counter ({@code _total}); a gauge of a number or a boolean
 * a gauge (other gauges are left out); a histogram a summary with the quantiles 0.5, 0.95 and
 * 0.99 and {@code _count}; a timer a summary in seconds, {@code _seconds}. Dropwizard keeps no
 * sum, so the summaries have no {@code _sum}; their quantiles are over Storm's reservoir (about
 * the last five minutes, recent values weighted more).
 */
public final class PrometheusText {
    /** The content type of {@link #write}'s output. */
    public static final String CONTENT_TYPE = PrometheusTextFormatWriter.CONTENT_TYPE;

    private static final Pattern TASK_NAME = Pattern.compile(
            "storm\\.(?:topology|worker)\\.([^.]+)\\.([^.]*)\\.([^.]*)\\.(?:([^.]+)\\.)?(-?\\d+)\\.(-?\\d+)-(.+)");
    private static final Pattern LABELLED = Pattern.compile("([^{]+)\\{([^}]*)}");
    private static final double[] QUANTILES = {0.5, 0.95, 0.99};
    /** The value of a table gauge's label: each row's key takes its place. */
    public static final String TABLE = "*";

    private PrometheusText() {
    }

    /**
     * A metric name with labels of its own, for {@code context.registerCounter} and the like:
     * {@code name("idbsync.changes", "status", "applied")} is {@code idbsync.changes{status=applied}}.
     * Label values must not hold {@code ,}, {@code =} or braces.
     */
    public static String name(String base, String... labelsAndValues) {
        if (labelsAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("labels and values come in pairs: " + List.of(labelsAndValues));
        }
        if (labelsAndValues.length == 0) {
            return base;
        }
        StringBuilder sb = new StringBuilder(base).append('{');
        for (int i = 0; i < labelsAndValues.length; i += 2) {
            String v = labelsAndValues[i + 1];
            if (v.matches(".*[,={}].*")) {
                throw new IllegalArgumentException("a label value must not hold , = { or }: " + v);
            }
            sb.append(i == 0 ? "" : ",").append(labelsAndValues[i]).append('=').append(v);
        }
        return sb.append('}').toString();
    }

    /** The registry's metrics in the Prometheus text format. */
    public static String write(MetricRegistry registry) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            PrometheusTextFormatWriter.create().write(out, snapshots(registry), EscapingScheme.UNDERSCORE_ESCAPING);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not throw
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The registry's metrics as the Prometheus client's snapshots, one family per name and type. */
    public static MetricSnapshots snapshots(MetricRegistry registry) {
        Map<String, Family> families = new TreeMap<>();
        for (Map.Entry<String, Metric> e : registry.getMetrics().entrySet()) {
            Parsed p = parse(e.getKey());
            Metric m = e.getValue();
            if (m instanceof Counter c) {
                family(families, p.family, Kind.COUNTER).add(p.labels(), c.getCount());
            } else if (m instanceof Meter meter) {
                family(families, p.family, Kind.COUNTER).add(p.labels(), meter.getCount());
            } else if (m instanceof Gauge<?> g) {
                Object v = gaugeValue(g);
                if (v instanceof Double d) {
                    family(families, p.family, Kind.GAUGE).add(p.labels(), d);
                } else if (v instanceof Map<?, ?> table && p.tableLabel >= 0) {
                    for (Map.Entry<?, ?> row : table.entrySet()) {
                        if (row.getValue() instanceof Number n) {
                            family(families, p.family, Kind.GAUGE).add(p.labels(String.valueOf(row.getKey())), n.doubleValue());
                        }
                    }
                }
            } else if (m instanceof Timer t) {
                family(families, p.family + "_seconds", Kind.SUMMARY)
                        .add(p.labels(), summary(t.getCount(), t.getSnapshot(), 1.0 / TimeUnit.SECONDS.toNanos(1)));
            } else if (m instanceof Histogram h) {
                family(families, p.family, Kind.SUMMARY).add(p.labels(), summary(h.getCount(), h.getSnapshot(), 1.0));
            }
        }
        MetricSnapshots.Builder all = MetricSnapshots.builder();
        for (Map.Entry<String, Family> f : families.entrySet()) {
            all.metricSnapshot(f.getValue().snapshot(f.getKey()));
        }
        return all.build();
    }

    /** A number as a double, a boolean as 1 or 0, a map (a table gauge) as it is; else null. */
    private static Object gaugeValue(Gauge<?> g) {
        Object v;
        try {
            v = g.getValue();
        } catch (RuntimeException e) {
            return null; // a gauge over a closed resource: left out, not the whole page
        }
        if (v instanceof Number n) {
            return n.doubleValue();
        }
        if (v instanceof Boolean b) {
            return b ? 1.0 : 0.0;
        }
        return v instanceof Map<?, ?> ? v : null;
    }

    private static SummarySnapshot.SummaryDataPointSnapshot summary(long count, Snapshot s, double scale) {
        List<Quantile> qs = new ArrayList<>();
        for (double q : QUANTILES) {
            qs.add(new Quantile(q, s.getValue(q) * scale));
        }
        return SummarySnapshot.SummaryDataPointSnapshot.builder().count(count).quantiles(Quantiles.of(qs)).build();
    }

    private enum Kind { COUNTER, GAUGE, SUMMARY }

    /** One family: its kind and its data points by labels (the first one wins a clash). */
    private static final class Family {
        final Kind kind;
        final Map<Labels, Object> points = new LinkedHashMap<>();

        Family(Kind kind) {
            this.kind = kind;
        }

        void add(Labels labels, Object value) {
            points.putIfAbsent(labels, value);
        }

        MetricSnapshot snapshot(String name) {
            switch (kind) {
                case COUNTER: {
                    CounterSnapshot.Builder b = CounterSnapshot.builder().name(name);
                    points.forEach((l, v) -> b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder()
                            .labels(l).value(Math.max(0, ((Number) v).doubleValue())).build()));
                    return b.build();
                }
                case GAUGE: {
                    GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name);
                    points.forEach((l, v) -> b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                            .labels(l).value(((Number) v).doubleValue()).build()));
                    return b.build();
                }
                default: {
                    SummarySnapshot.Builder b = SummarySnapshot.builder().name(name);
                    points.forEach((l, v) -> {
                        SummarySnapshot.SummaryDataPointSnapshot p = (SummarySnapshot.SummaryDataPointSnapshot) v;
                        b.dataPoint(SummarySnapshot.SummaryDataPointSnapshot.builder().count(p.getCount())
                                .quantiles(p.getQuantiles()).labels(l).build());
                    });
                    return b.build();
                }
            }
        }
    }

    /** A family may appear as two kinds (a name reused): the second kind gets a suffix of its own. */
    private static Family family(Map<String, Family> families, String name, Kind kind) {
        Family f = families.computeIfAbsent(name, n -> new Family(kind));
        if (f.kind == kind) {
            return f;
        }
        return families.computeIfAbsent(name + "_" + kind.name().toLowerCase(), n -> new Family(kind));
    }

    /**
     * A registry name as a family name (sanitized, without a reserved suffix) and its labels;
     * {@code tableLabel}: the index of the label whose value is {@code *}, else -1.
     */
    record Parsed(String family, List<String> names, List<String> values, int tableLabel) {
        Labels labels() {
            return Labels.of(names, values);
        }

        /** The labels with the table label's value set to {@code row}. */
        Labels labels(String row) {
            List<String> v = new ArrayList<>(values);
            v.set(tableLabel, row);
            return Labels.of(names, v);
        }
    }

    static Parsed parse(String registryName) {
        List<String> names = new ArrayList<>();
        List<String> values = new ArrayList<>();
        String shortName = registryName;
        Matcher task = TASK_NAME.matcher(registryName);
        if (task.matches()) {
            add(names, values, "topology", task.group(1));
            add(names, values, "host", task.group(2));
            add(names, values, "component", task.group(3));
            if (task.group(4) != null) {
                add(names, values, "stream", task.group(4));
            }
            add(names, values, "task", task.group(5));
            add(names, values, "worker_port", task.group(6));
            shortName = task.group(7);
        }
        Matcher labelled = LABELLED.matcher(shortName);
        if (labelled.matches()) {
            shortName = labelled.group(1);
            for (String kv : labelled.group(2).split(",")) {
                int eq = kv.indexOf('=');
                if (eq > 0) {
                    add(names, values, PrometheusNaming.sanitizeLabelName(kv.substring(0, eq)), kv.substring(eq + 1));
                }
            }
        }
        String family = shortName.startsWith("idbsync.") ? shortName : "storm_" + shortName.replaceFirst("^_+", "");
        family = PrometheusNaming.sanitizeMetricName(family.replaceAll("[^a-zA-Z0-9_:]", "_").replaceAll("__+", "_"));
        return new Parsed(family, names, values, values.indexOf(TABLE));
    }

    /** A label once: Storm's own labels win over one of the same name in the metric's name. */
    private static void add(List<String> names, List<String> values, String name, String value) {
        if (!names.contains(name)) {
            names.add(name);
            values.add(value);
        }
    }
}
