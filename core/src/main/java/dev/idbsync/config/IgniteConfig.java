package dev.idbsync.config;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * Where the topology keeps records and sync state. The spout and the bolts always talk to Ignite
 * through the thin client at {@link #addresses()}; in {@link Mode#EMBEDDED} the local run also
 * starts the server node those addresses point at.
 */
public final class IgniteConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public enum Mode { EMBEDDED, REMOTE }

    /** Ignite's usual thin-client port. */
    public static final int DEFAULT_THIN_CLIENT_PORT = 10800;
    public static final int DEFAULT_DISCOVERY_PORT = 47500;
    public static final int DEFAULT_COMMUNICATION_PORT = 47100;
    /** Small: the local run shares 2 cores and a laptop's memory with Storm and Flume. */
    public static final int DEFAULT_DATA_REGION_MB = 512;
    /** The embedded node's WAL archive: Ignite checkpoints once a quarter of it was written since the last. */
    public static final int DEFAULT_WAL_ARCHIVE_MB = 2048;
    /** Partitions of each cache the embedded node creates for idbsync (Ignite's own default is 1024). */
    public static final int DEFAULT_CACHE_PARTITIONS = 64;
    public static final int DEFAULT_CLIENT_TIMEOUT_MS = 10_000;
    public static final String DEFAULT_OUTCOMES_CACHE = "idbsync_outcomes";
    /**
     * A week: a client offline longer than that who resends a change already decided still gets
     * {@code duplicate}, but without the first outcome's details.
     */
    public static final int DEFAULT_OUTCOME_RETENTION_HOURS = 168;
    /** 30 days: time for an app to show a user what was refused, or to fix and resend it. */
    public static final int DEFAULT_REJECTED_RETENTION_HOURS = 720;
    /**
     * 30 s: what the change feed names stays unreadable for milliseconds while its transaction
     * commits; past this it is gone (deleted by hand, a renamed cache) and pulls skip it. Well
     * above a commit, and above the default clientTimeoutMs, after which a transaction is rolled back.
     */
    public static final int DEFAULT_FEED_STALL_SKIP_MS = 30_000;

    private final Mode mode;
    private final List<String> addresses;
    private final int clientTimeoutMs;
    private final String outcomesCache;
    private final int cacheBackups;
    private final int outcomeRetentionHours;
    private final int rejectedRetentionHours;
    private final int feedStallSkipMs;
    private final int discoveryPort;
    private final int communicationPort;
    private final int dataRegionMb;
    private final int walArchiveMb;
    private final int cachePartitions;
    private final String walMode;

    private IgniteConfig(Builder b) {
        mode = b.mode;
        if (b.addresses == null || b.addresses.isEmpty()) {
            throw new IllegalArgumentException("ignite.addresses: [] is not allowed; list at least one host:port"
                    + " of an Ignite node's thin-client connector");
        }
        for (String a : b.addresses) {
            Check.address("ignite.addresses", a);
        }
        addresses = List.copyOf(b.addresses);
        clientTimeoutMs = Check.range("ignite.clientTimeoutMs", b.clientTimeoutMs, 100, 600_000);
        outcomesCache = Check.notBlank("ignite.outcomesCache", b.outcomesCache);
        if (!outcomesCache.matches("[A-Za-z0-9._-]{1,255}")) {
            throw new IllegalArgumentException("ignite.outcomesCache: \"" + outcomesCache
                    + "\" is not allowed; use 1-255 characters of [A-Za-z0-9._-]");
        }
        cacheBackups = Check.range("ignite.cacheBackups", b.cacheBackups, 0, 16);
        outcomeRetentionHours = Check.range("ignite.outcomeRetentionHours", b.outcomeRetentionHours, 1, 24 * 3650);
        rejectedRetentionHours = Check.range("ignite.rejectedRetentionHours", b.rejectedRetentionHours, 1, 24 * 3650);
        feedStallSkipMs = Check.range("ignite.feedStallSkipMs", b.feedStallSkipMs, 1000, 3_600_000);
        discoveryPort = Check.range("ignite.embedded.discoveryPort", b.discoveryPort, 1, 65535);
        communicationPort = Check.range("ignite.embedded.communicationPort", b.communicationPort, 1, 65535);
        dataRegionMb = Check.range("ignite.embedded.dataRegionMb", b.dataRegionMb, 64, 1024 * 1024);
        // at least 4 of Ignite's 64 MB WAL segments: it checkpoints every quarter of the archive
        walArchiveMb = Check.range("ignite.embedded.walArchiveMb", b.walArchiveMb, 256, 1024 * 1024);
        // 65000: Ignite's limit (CacheConfiguration.MAX_PARTITIONS_COUNT)
        cachePartitions = Check.range("ignite.embedded.cachePartitions", b.cachePartitions, 1, 65000);
        if (!List.of("FSYNC", "LOG_ONLY", "BACKGROUND").contains(b.walMode)) {
            throw new IllegalArgumentException("ignite.embedded.walMode: \"" + b.walMode
                    + "\" is not allowed; use FSYNC, LOG_ONLY or BACKGROUND");
        }
        walMode = b.walMode;
        if (mode == Mode.EMBEDDED) {
            if (addresses.size() != 1 || !addresses.get(0).startsWith("127.0.0.1:")) {
                throw new IllegalStateException("ignite.addresses: " + addresses + " contradicts ignite.mode: embedded;"
                        + " the embedded node listens on 127.0.0.1 only, so give exactly one 127.0.0.1:<thinClientPort>");
            }
        }
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The {@code ignite} section of the config file, {@code ignite.embedded} included. */
    static IgniteConfig fromYaml(Section s) {
        Builder b = builder();
        s.choice("mode", Map.of("embedded", Mode.EMBEDDED, "remote", Mode.REMOTE),
                "embedded (the local run starts a node) or remote", b::mode);
        s.strings("addresses", "a list of host:port strings", "host:port strings", b::addresses);
        s.integer("clientTimeoutMs", b::clientTimeoutMs);
        s.string("outcomesCache", b::outcomesCache);
        s.integer("cacheBackups", b::cacheBackups);
        s.integer("outcomeRetentionHours", b::outcomeRetentionHours);
        s.integer("rejectedRetentionHours", b::rejectedRetentionHours);
        s.integer("feedStallSkipMs", b::feedStallSkipMs);
        Section e = s.section("embedded");
        e.integer("discoveryPort", b::discoveryPort);
        e.integer("communicationPort", b::communicationPort);
        e.integer("dataRegionMb", b::dataRegionMb);
        e.integer("walArchiveMb", b::walArchiveMb);
        e.integer("cachePartitions", b::cachePartitions);
        e.string("walMode", b::walMode);
        e.finish();
        s.finish();
        return b.build();
    }

    public Builder toBuilder() {
        return new Builder().mode(mode).addresses(addresses).clientTimeoutMs(clientTimeoutMs)
                .outcomesCache(outcomesCache).cacheBackups(cacheBackups).outcomeRetentionHours(outcomeRetentionHours)
                .rejectedRetentionHours(rejectedRetentionHours).feedStallSkipMs(feedStallSkipMs)
                .discoveryPort(discoveryPort)
                .communicationPort(communicationPort).dataRegionMb(dataRegionMb).walArchiveMb(walArchiveMb).cachePartitions(cachePartitions).walMode(walMode);
    }

    public Mode mode() {
        return mode;
    }

    /** Thin-client addresses, host:port. */
    public List<String> addresses() {
        return addresses;
    }

    /** Port of the first address; in embedded mode the port the node's thin-client connector binds. */
    public int thinClientPort() {
        String a = addresses.get(0);
        return Integer.parseInt(a.substring(a.lastIndexOf(':') + 1));
    }

    public int clientTimeoutMs() {
        return clientTimeoutMs;
    }

    /** The cache that holds each change's outcome, keyed by {@code db/clientId/seq}. */
    public String outcomesCache() {
        return outcomesCache;
    }

    /** Backups of every cache the topology creates (0 on a single node). */
    public int cacheBackups() {
        return cacheBackups;
    }

    /** How long each change's outcome is kept for answering {@code duplicate} with its details. */
    public int outcomeRetentionHours() {
        return outcomeRetentionHours;
    }

    /** How long rejected changes are kept for GET /v1/rejected. */
    public int rejectedRetentionHours() {
        return rejectedRetentionHours;
    }

    /** How long an entry of the change feed may stay unreadable before pulls skip it. */
    public int feedStallSkipMs() {
        return feedStallSkipMs;
    }

    public int discoveryPort() {
        return discoveryPort;
    }

    public int communicationPort() {
        return communicationPort;
    }

    public int dataRegionMb() {
        return dataRegionMb;
    }

    /**
     * The most disk the embedded node's WAL archive takes, in MB; Ignite also checkpoints whenever a
     * quarter of it was written since the last checkpoint.
     */
    public int walArchiveMb() {
        return walArchiveMb;
    }

    /**
     * Partitions of each of idbsync's caches that the embedded node creates when it starts (a cache
     * already in its data directory keeps the number it was created with).
     */
    public int cachePartitions() {
        return cachePartitions;
    }

    /** Ignite's WAL mode for the embedded node: LOG_ONLY survives a process crash, FSYNC an OS crash too. */
    public String walMode() {
        return walMode;
    }

    public static final class Builder {
        private Mode mode = Mode.EMBEDDED;
        private List<String> addresses = List.of("127.0.0.1:" + DEFAULT_THIN_CLIENT_PORT);
        private int clientTimeoutMs = DEFAULT_CLIENT_TIMEOUT_MS;
        private String outcomesCache = DEFAULT_OUTCOMES_CACHE;
        private int cacheBackups = 0;
        private int outcomeRetentionHours = DEFAULT_OUTCOME_RETENTION_HOURS;
        private int rejectedRetentionHours = DEFAULT_REJECTED_RETENTION_HOURS;
        private int feedStallSkipMs = DEFAULT_FEED_STALL_SKIP_MS;
        private int discoveryPort = DEFAULT_DISCOVERY_PORT;
        private int communicationPort = DEFAULT_COMMUNICATION_PORT;
        private int dataRegionMb = DEFAULT_DATA_REGION_MB;
        private int walArchiveMb = DEFAULT_WAL_ARCHIVE_MB;
        private int cachePartitions = DEFAULT_CACHE_PARTITIONS;
        private String walMode = "LOG_ONLY";

        public Builder mode(Mode v) {
            mode = v;
            return this;
        }

        public Builder addresses(List<String> v) {
            addresses = v;
            return this;
        }

        public Builder clientTimeoutMs(int v) {
            clientTimeoutMs = v;
            return this;
        }

        public Builder outcomesCache(String v) {
            outcomesCache = v;
            return this;
        }

        public Builder cacheBackups(int v) {
            cacheBackups = v;
            return this;
        }

        public Builder outcomeRetentionHours(int v) {
            outcomeRetentionHours = v;
            return this;
        }

        public Builder feedStallSkipMs(int v) {
            feedStallSkipMs = v;
            return this;
        }

        public Builder rejectedRetentionHours(int v) {
            rejectedRetentionHours = v;
            return this;
        }

        public Builder discoveryPort(int v) {
            discoveryPort = v;
            return this;
        }

        public Builder communicationPort(int v) {
            communicationPort = v;
            return this;
        }

        public Builder dataRegionMb(int v) {
            dataRegionMb = v;
            return this;
        }

        public Builder cachePartitions(int v) {
            cachePartitions = v;
            return this;
        }

        public Builder walArchiveMb(int v) {
            walArchiveMb = v;
            return this;
        }

        public Builder walMode(String v) {
            walMode = v;
            return this;
        }

        public IgniteConfig build() {
            return new IgniteConfig(this);
        }
    }
}
