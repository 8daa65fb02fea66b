package dev.idbsync.ignite;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.protocol.Keys;
import java.util.ArrayList;
import java.util.List;

/**
 * One block of a partition's log as a reader sees it: it holds positions {@code start + 1} to
 * {@link #end()}, one record version each ({@link Feed#block}).
 */
record FeedBlock(long start, List<Version> versions) {
    /** A record version the feed names: its store, its canonical key ({@link Keys#canonical}) and the version. */
    record Version(String store, String key, long version) {
    }

    FeedBlock {
        versions = List.copyOf(versions);
    }

    /**
     * The block stored at position {@code start + 1}, or null when there is none or it is not in
     * idbsync's format (a reader treats it as not visible: waited for, then skipped, like one
     * deleted by hand).
     */
    static FeedBlock parse(long start, String stored) {
        if (stored == null) {
            return null;
        }
        try {
            List<Version> versions = new ArrayList<>();
            for (JsonNode n : Feed.versions(stored)) {
                if (!n.get("store").isTextual() || !n.get("version").canConvertToLong()) {
                    return null;
                }
                versions.add(new Version(n.get("store").asText(), Keys.canonical(n.get("key")), n.get("version").asLong()));
            }
            return new FeedBlock(start, versions);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The last position it holds. */
    long end() {
        return start + versions.size();
    }

    /** The version at {@code position}, from {@code start + 1} to {@link #end()}. */
    Version at(long position) {
        return versions.get((int) (position - start - 1));
    }
}
