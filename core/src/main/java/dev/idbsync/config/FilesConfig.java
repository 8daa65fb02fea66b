package dev.idbsync.config;

import java.io.Serializable;

/**
 * The file sink: every resolved change as a line of JSON under {@code <dir>/changes/...}, every
 * rejected change under {@code <dir>/rejected/...}, partitioned by db, store, date and hour.
 * Lines go to an in-progress file that is synced to disk before its tuples are acked, and
 * committed (atomically renamed to {@code *.jsonl}) when it rolls: by age, size or line count.
 */
public final class FilesConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    /** A committed file appears for readers within this time of its first line. */
    public static final int DEFAULT_ROLL_INTERVAL_MS = 60_000;
    /** 128 MiB: large enough for efficient reads, small enough to commit often under load. */
    public static final long DEFAULT_ROLL_BYTES = 128L * 1024 * 1024;
    public static final int DEFAULT_ROLL_LINES = 1_000_000;
    /**
     * Lines a file sink task appends and syncs at once (one group commit), and so the tuples it
     * acks at once; its queue holds twice this. 1,000 is a push of 1,000 changes, or many small
     * ones: one fsync for all of them, while the acks of a batch are never held back for long.
     */
    public static final int DEFAULT_BATCH_SIZE = 1000;

    private final boolean enabled;
    private final String dir;
    private final int rollIntervalMs;
    private final long rollBytes;
    private final int rollLines;
    private final int batchSize;

    private FilesConfig(Builder b) {
        enabled = b.enabled;
        dir = b.dir;
        if (dir != null && dir.isBlank()) {
            throw new IllegalArgumentException("files.dir: \"\" is not allowed; give a directory every reader can see,"
                    + " or leave it out for the data dir");
        }
        rollIntervalMs = Check.range("files.rollIntervalMs", b.rollIntervalMs, 100, 24 * 3_600_000);
        rollBytes = Check.range("files.rollBytes", b.rollBytes, 1024, 64L * 1024 * 1024 * 1024);
        rollLines = Check.range("files.rollLines", b.rollLines, 1, 1_000_000_000);
        batchSize = Check.range("files.batchSize", b.batchSize, 1, 100_000);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The {@code files} section of the config file. */
    static FilesConfig fromYaml(Section s) {
        Builder b = builder();
        s.bool("enabled", b::enabled);
        s.string("dir", b::dir);
        s.integer("rollIntervalMs", b::rollIntervalMs);
        s.longInteger("rollBytes", b::rollBytes);
        s.integer("rollLines", b::rollLines);
        s.integer("batchSize", b::batchSize);
        s.finish();
        return b.build();
    }

    public Builder toBuilder() {
        return new Builder().enabled(enabled).dir(dir).rollIntervalMs(rollIntervalMs).rollBytes(rollBytes).rollLines(rollLines)
                .batchSize(batchSize);
    }

    public boolean enabled() {
        return enabled;
    }

    /** The root of the changes and rejected trees; null: the deployment's data dir. */
    public String dir() {
        return dir;
    }

    public int rollIntervalMs() {
        return rollIntervalMs;
    }

    public long rollBytes() {
        return rollBytes;
    }

    public int rollLines() {
        return rollLines;
    }

    /** The most lines a file sink task writes and syncs in one group commit before it acks them. */
    public int batchSize() {
        return batchSize;
    }

    public static final class Builder {
        private boolean enabled = false;
        private String dir;
        private int rollIntervalMs = DEFAULT_ROLL_INTERVAL_MS;
        private long rollBytes = DEFAULT_ROLL_BYTES;
        private int rollLines = DEFAULT_ROLL_LINES;
        private int batchSize = DEFAULT_BATCH_SIZE;

        public Builder enabled(boolean v) {
            enabled = v;
            return this;
        }

        public Builder dir(String v) {
            dir = v;
            return this;
        }

        public Builder rollIntervalMs(int v) {
            rollIntervalMs = v;
            return this;
        }

        public Builder rollBytes(long v) {
            rollBytes = v;
            return this;
        }

        public Builder rollLines(int v) {
            rollLines = v;
            return this;
        }

        public Builder batchSize(int v) {
            batchSize = v;
            return this;
        }

        public FilesConfig build() {
            return new FilesConfig(this);
        }
    }
}
