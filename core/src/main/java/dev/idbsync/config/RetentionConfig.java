package dev.idbsync.config;

import java.io.Serializable;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code retention} section: how long the change feed and tombstones are kept
 * (docs/ignite.md, "Retention"). Each resolver task sweeps its own feed logs in the background:
 * blocks older than {@code feed} are removed, the record versions in them that are still current
 * are appended again at the head (so a pull from the beginning still gives every record), and
 * a tombstone older than {@code tombstones} is removed instead of appended. A {@code since}
 * cursor that points into what was removed is answered 410 {@code resync} (PROTOCOL.md 1.1).
 *
 * @param enabled       false: nothing is removed, as before retention (a cursor is never 410)
 * @param feedMs        how long a feed block is kept after it was written
 * @param tombstonesMs  how long a deleted record's tombstone is kept; at least {@code feedMs}
 * @param sweepEveryMs  how often each resolver task looks for what expired (sooner while it is catching up)
 * @param clientsMs     the client horizon: a client's seq mark is dropped this long after it last moved, its
 *                      owner binding twice that after it was last confirmed; 0 (the default): kept for good.
 *                      A client forgotten so comes back to {@code out_of_order} from seq 1 with
 *                      {@code unknownClient: true} (docs/protocol.md, "A forgotten client"), which the
 *                      browser library answers by numbering its waiting changes from 1. Opt-in, because a
 *                      client that does not know {@code unknownClient} cannot go on after it.
 */
public record RetentionConfig(boolean enabled, long feedMs, long tombstonesMs, long sweepEveryMs, long clientsMs)
        implements Serializable {
    private static final long serialVersionUID = 1L;

    public static final long DAY_MS = 24L * 3600 * 1000;
    /** 30 days: a browser offline longer pulls from the beginning (410 resync) instead of from its cursor. */
    public static final long DEFAULT_FEED_MS = 30 * DAY_MS;
    public static final long DEFAULT_SWEEP_EVERY_MS = 60_000;
    private static final long MAX_MS = 3650 * DAY_MS;
    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)");

    public RetentionConfig {
        between("retention.feed", feedMs, 1000, MAX_MS);
        between("retention.tombstones", tombstonesMs, 1000, MAX_MS);
        between("retention.sweepEvery", sweepEveryMs, 100, DAY_MS);
        if (clientsMs != 0) {
            between("retention.clients", clientsMs, 3_600_000, MAX_MS);
        }
        if (tombstonesMs < feedMs) {
            throw new IllegalStateException("retention.tombstones: " + format(tombstonesMs) + " is shorter than"
                    + " retention.feed (" + format(feedMs) + "); a client that resyncs must still get every delete the"
                    + " feed no longer holds, so keep tombstones at least as long as the feed");
        }
    }

    /** Without a client horizon: marks and owners kept for good. */
    public RetentionConfig(boolean enabled, long feedMs, long tombstonesMs, long sweepEveryMs) {
        this(enabled, feedMs, tombstonesMs, sweepEveryMs, 0);
    }

    /**
     * How long a client's seq mark is kept after it last moved, in ms; 0: for good (the default,
     * and always when retention is off).
     */
    public long markHorizonMs() {
        return enabled ? clientsMs : 0;
    }

    /**
     * How long an owner binding is kept after it was last written or confirmed: twice the mark's
     * horizon, so a client's owner outlives its mark (another user can never take a clientId whose
     * seqs are still known); 0: for good.
     */
    public long ownerHorizonMs() {
        return 2 * markHorizonMs();
    }

    private static void between(String key, long ms, long min, long max) {
        if (ms < min || ms > max) {
            throw new IllegalArgumentException(key + ": " + format(ms) + " is not allowed; give a duration from "
                    + format(min) + " to " + format(max));
        }
    }

    /** On, with the defaults: the feed and tombstones kept 30 days, swept every minute. */
    public static RetentionConfig defaults() {
        return new RetentionConfig(true, DEFAULT_FEED_MS, DEFAULT_FEED_MS, DEFAULT_SWEEP_EVERY_MS);
    }

    /** Off: the feed and tombstones are kept for good. */
    public static RetentionConfig off() {
        return new RetentionConfig(false, DEFAULT_FEED_MS, DEFAULT_FEED_MS, DEFAULT_SWEEP_EVERY_MS);
    }

    /** The {@code retention} section of the config file. */
    static RetentionConfig fromYaml(Section s) {
        boolean[] enabled = {true};
        s.bool("enabled", v -> enabled[0] = v);
        long feed = duration(s, "feed", DEFAULT_FEED_MS);
        long tombstones = duration(s, "tombstones", feed);
        long sweep = duration(s, "sweepEvery", DEFAULT_SWEEP_EVERY_MS);
        long clients = duration(s, "clients", 0);
        s.finish();
        return new RetentionConfig(enabled[0], feed, tombstones, sweep, clients);
    }

    /** A duration such as {@code 30d}, {@code 12h}, {@code 15m}, {@code 90s} or {@code 500ms}. */
    static long duration(Section s, String name, long otherwise) {
        String v = s.string(name);
        if (v == null) {
            return otherwise;
        }
        Matcher m = DURATION.matcher(v.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(s.key(name) + ": \"" + v + "\" is not a duration; give a number and a unit,"
                    + " one of ms, s, m, h, d, e.g. \"30d\"");
        }
        long n = Long.parseLong(m.group(1));
        long unit = switch (m.group(2)) {
            case "ms" -> 1;
            case "s" -> 1000;
            case "m" -> 60_000;
            case "h" -> 3_600_000;
            default -> DAY_MS;
        };
        if (n > MAX_MS / unit) {
            throw new IllegalArgumentException(s.key(name) + ": \"" + v + "\" is longer than 3650d");
        }
        return n * unit;
    }

    /** A duration as the config spells it: the largest unit that divides it. */
    public static String format(long ms) {
        if (ms % DAY_MS == 0) {
            return ms / DAY_MS + "d";
        }
        if (ms % 3_600_000 == 0) {
            return ms / 3_600_000 + "h";
        }
        if (ms % 60_000 == 0) {
            return ms / 60_000 + "m";
        }
        return ms % 1000 == 0 ? ms / 1000 + "s" : ms + "ms";
    }
}
