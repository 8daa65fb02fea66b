package dev.idbsync.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The whole configuration of one deployment, read from {@code conf/<env>.yaml} by
 * {@link ConfigLoader} and checked before anything starts. Immutable and serializable: the
 * topology hands it to every spout and bolt, so workers never read files of their own.
 */
public final class SyncConfig implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final String DEFAULT_DATA_DIR = "data";

    private final HttpConfig http;
    private final LimitsConfig limits;
    private final IgniteConfig ignite;
    private final TopologyConfig topology;
    private final FlumeConfig flume;
    private final FilesConfig files;
    private final KafkaConfig kafka;
    private final AuthConfig auth;
    private final RateLimitConfig rateLimit;
    private final RetentionConfig retention;
    private final String dataDir;
    /** db -> store -> config, in file order. */
    private final Map<String, Map<String, StoreConfig>> stores;

    private SyncConfig(Builder b) {
        http = b.http;
        limits = b.limits;
        ignite = b.ignite;
        topology = b.topology;
        flume = b.flume;
        files = b.files;
        kafka = b.kafka;
        auth = b.auth;
        rateLimit = b.rateLimit;
        retention = b.retention;
        dataDir = Check.notBlank("dataDir", b.dataDir);
        long kept = Math.max(ignite.outcomeRetentionHours(), ignite.rejectedRetentionHours()) * 3_600_000L;
        if (retention.clientsMs() != 0 && retention.clientsMs() < kept) {
            // A forgotten client numbers its changes from 1 again; an outcome or rejected entry of
            // its old seq 1 still kept would then answer its new seq 1.
            throw new IllegalArgumentException("retention.clients: " + RetentionConfig.format(retention.clientsMs())
                    + " is shorter than what is kept of a client's changes (ignite.outcomeRetentionHours "
                    + ignite.outcomeRetentionHours() + ", ignite.rejectedRetentionHours " + ignite.rejectedRetentionHours()
                    + "); give at least " + RetentionConfig.format(kept) + ": a client numbers its changes from 1 again"
                    + " once it is forgotten, and its old outcomes must be gone by then");
        }
        if (b.stores.isEmpty()) {
            throw new IllegalArgumentException("dbs: {} is not allowed; configure at least one db with one store");
        }
        Map<String, Map<String, StoreConfig>> s = new LinkedHashMap<>();
        Map<String, String> cacheOwners = new LinkedHashMap<>();
        for (StoreConfig st : b.stores) {
            Map<String, StoreConfig> byStore = s.computeIfAbsent(st.db(), k -> new LinkedHashMap<>());
            if (byStore.put(st.store(), st) != null) {
                throw new IllegalArgumentException("dbs." + st.db() + ".stores." + st.store() + ": configured twice");
            }
            String owner = st.db() + "/" + st.store();
            String prev = cacheOwners.put(st.cache(), owner);
            String taken = prev != null ? prev
                    : st.cache().equals(ignite.outcomesCache()) ? "ignite.outcomesCache"
                    : CacheNames.FIXED.contains(st.cache()) ? "idbsync itself" : null;
            if (taken != null) {
                throw new IllegalStateException("dbs." + st.db() + ".stores." + st.store() + ".cache: \"" + st.cache()
                        + "\" is already used by " + taken + "; every store needs a cache of its own");
            }
        }
        kafka.checkTopics(s.keySet());
        s.replaceAll((db, m) -> Collections.unmodifiableMap(m));
        stores = Collections.unmodifiableMap(s);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * The whole config file. Top-level keys with a dot ({@code nimbus.seeds},
     * {@code storm.zookeeper.servers}, ...) are Storm's own: {@code storm jar ... --config
     * conf/cluster.yaml} makes Storm's client read this file too.
     */
    static SyncConfig fromYaml(Section root) {
        Builder b = builder();
        root.string("dataDir", b::dataDir);
        Section http = root.section("http");
        Section limits = root.section("limits");
        Section ignite = root.section("ignite");
        Section topology = root.section("topology");
        Section flume = root.section("flume");
        Section files = root.section("files");
        Section kafka = root.section("kafka");
        boolean authGiven = root.has("auth");
        Section auth = root.section("auth");
        Section rateLimit = root.section("rateLimit");
        Section retention = root.section("retention");
        JsonNode dbs = root.raw("dbs");
        root.finish(true);
        b.http(HttpConfig.fromYaml(http))
                .limits(LimitsConfig.fromYaml(limits))
                .ignite(IgniteConfig.fromYaml(ignite))
                .topology(TopologyConfig.fromYaml(topology))
                .flume(FlumeConfig.fromYaml(flume))
                .files(FilesConfig.fromYaml(files))
                .kafka(KafkaConfig.fromYaml(kafka))
                .auth(authGiven ? AuthConfig.fromYaml(auth) : AuthConfig.absent())
                .rateLimit(RateLimitConfig.fromYaml(rateLimit))
                .retention(RetentionConfig.fromYaml(retention));
        if (dbs == null || !dbs.isObject() || dbs.isEmpty()) {
            throw new IllegalArgumentException("dbs: is required; configure at least one db with one store, e.g."
                    + " dbs: {notes-app: {stores: {notes: {schema: schemas/notes-app/notes.schema.json}}}}");
        }
        Section dbSections = root.section("dbs");
        for (String db : dbSections.names()) {
            if (!dbSections.raw(db).isObject()) {
                throw new IllegalArgumentException(dbSections.key(db) + ": must be a mapping with a stores key");
            }
            Section d = dbSections.section(db);
            JsonNode stores = d.raw("stores");
            d.finish();
            if (stores == null || !stores.isObject() || stores.isEmpty()) {
                throw new IllegalArgumentException(d.key("stores") + ": is required; configure at least one store");
            }
            Section storeSections = d.section("stores");
            for (String store : storeSections.names()) {
                JsonNode s = storeSections.raw(store);
                if (!s.isNull() && !s.isObject()) {
                    throw new IllegalArgumentException(storeSections.key(store) + ": must be a mapping");
                }
                b.store(StoreConfig.fromYaml(db, store, storeSections.section(store)));
            }
        }
        return b.build();
    }

    public Builder toBuilder() {
        Builder b = new Builder().http(http).limits(limits).ignite(ignite).topology(topology).flume(flume).files(files).kafka(kafka)
                .auth(auth).rateLimit(rateLimit).retention(retention).dataDir(dataDir);
        allStores().forEach(b::store);
        return b;
    }

    public HttpConfig http() {
        return http;
    }

    public LimitsConfig limits() {
        return limits;
    }

    public IgniteConfig ignite() {
        return ignite;
    }

    public TopologyConfig topology() {
        return topology;
    }

    public FlumeConfig flume() {
        return flume;
    }

    public FilesConfig files() {
        return files;
    }

    /** The optional Kafka sink (docs/kafka.md). */
    public KafkaConfig kafka() {
        return kafka;
    }

    /** Who may push and pull; {@link AuthConfig#configured()} is false when the file had no auth section. */
    public AuthConfig auth() {
        return auth;
    }

    /** Requests per second per user (auth on) or per client address (auth off). */
    public RateLimitConfig rateLimit() {
        return rateLimit;
    }

    /** How long the change feed and tombstones are kept (on by default). */
    public RetentionConfig retention() {
        return retention;
    }

    /** The root of the file sink's trees: files.dir, else the data dir. */
    public String filesRoot() {
        return files.dir() != null ? files.dir() : dataDir;
    }

    /** Root of every local file the deployment writes (Ignite's files in embedded mode, logs). */
    public String dataDir() {
        return dataDir;
    }

    /** The store's config, or null when (db, store) is not configured. */
    public StoreConfig store(String db, String store) {
        Map<String, StoreConfig> m = stores.get(db);
        return m == null ? null : m.get(store);
    }

    public Map<String, Map<String, StoreConfig>> stores() {
        return stores;
    }

    public List<StoreConfig> allStores() {
        List<StoreConfig> all = new ArrayList<>();
        stores.values().forEach(m -> all.addAll(m.values()));
        return all;
    }

    public static final class Builder {
        private HttpConfig http = HttpConfig.builder().build();
        private LimitsConfig limits = LimitsConfig.defaults();
        private IgniteConfig ignite = IgniteConfig.builder().build();
        private TopologyConfig topology = TopologyConfig.builder().build();
        private FlumeConfig flume = FlumeConfig.builder().build();
        private FilesConfig files = FilesConfig.builder().build();
        private KafkaConfig kafka = KafkaConfig.builder().build();
        private AuthConfig auth = AuthConfig.absent();
        private RateLimitConfig rateLimit = RateLimitConfig.off();
        private RetentionConfig retention = RetentionConfig.defaults();
        private String dataDir = DEFAULT_DATA_DIR;
        private final List<StoreConfig> stores = new ArrayList<>();

        public Builder http(HttpConfig v) {
            http = v;
            return this;
        }

        public Builder limits(LimitsConfig v) {
            limits = v;
            return this;
        }

        public Builder ignite(IgniteConfig v) {
            ignite = v;
            return this;
        }

        public Builder topology(TopologyConfig v) {
            topology = v;
            return this;
        }

        public Builder flume(FlumeConfig v) {
            flume = v;
            return this;
        }

        public Builder files(FilesConfig v) {
            files = v;
            return this;
        }

        public Builder kafka(KafkaConfig v) {
            kafka = java.util.Objects.requireNonNull(v, "kafka");
            return this;
        }

        public Builder auth(AuthConfig v) {
            auth = java.util.Objects.requireNonNull(v, "auth");
            return this;
        }

        public Builder rateLimit(RateLimitConfig v) {
            rateLimit = java.util.Objects.requireNonNull(v, "rateLimit");
            return this;
        }

        public Builder retention(RetentionConfig v) {
            retention = java.util.Objects.requireNonNull(v, "retention");
            return this;
        }

        public Builder dataDir(String v) {
            dataDir = v;
            return this;
        }

        public Builder store(StoreConfig v) {
            stores.add(v);
            return this;
        }

        public Builder stores(Collection<StoreConfig> v) {
            stores.clear();
            stores.addAll(v);
            return this;
        }

        public SyncConfig build() {
            return new SyncConfig(this);
        }
    }
}
