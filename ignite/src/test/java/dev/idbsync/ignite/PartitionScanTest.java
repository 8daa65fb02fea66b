package dev.idbsync.ignite;

import static dev.idbsync.ignite.MemoryFeed.DB;
import static dev.idbsync.ignite.MemoryFeed.version;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One partition's log read into a page, and the position it reaches. */
class PartitionScanTest {
    private static final long STALL_MS = 5_000;

    @TempDir
    Path dir;

    private SyncConfig config;
    private final MemoryFeed source = new MemoryFeed();
    private final AtomicLong now = new AtomicLong(1_000);
    private final FeedStalls stalls = new FeedStalls(now::get, STALL_MS, 100);

    @BeforeEach
    void setUp() throws IOException {
        Path yaml = dir.resolve("test.yaml");
        Files.writeString(yaml, "dbs:\n  notes-app:\n    stores:\n      notes: {}\n", StandardCharsets.UTF_8);
        config = ConfigLoader.load(yaml);
    }

    private Feed.Position scan(FeedPage page, long head, Feed.Position from) {
        return new PartitionScan(config, source, stalls, page, DB, 0, head, from).read();
    }

    private static List<String> keys(FeedPage page) throws IOException {
        JsonNode body = Json.MAPPER.readTree(page.body(Map.of(), false));
        List<String> out = new ArrayList<>();
        body.get("changes").forEach(c -> out.add(c.get("key").asText() + "@" + c.get("version").asLong()));
        return out;
    }

    @Test
    void aFullPageEndsInsideABlockAndTheNextScanGoesOnFromThere() throws IOException {
        long head = source.commit(0, version("a", 1), version("b", 1), version("c", 1));
        FeedPage first = new FeedPage(2);
        Feed.Position at = scan(first, head, Feed.Position.at(0));
        assertEquals(List.of("a@1", "b@1"), keys(first));
        assertEquals(new Feed.Position(0, 2), at, "inside the block that starts after 0");
        FeedPage next = new FeedPage(2);
        assertEquals(Feed.Position.at(3), scan(next, head, at));
        assertEquals(List.of("c@1"), keys(next));
    }

    @Test
    void anEntryWhoseRecordMovedOnIsCompactedButUsesUpItsPosition() throws IOException {
        source.commit(0, version("a", 1));
        long head = source.commit(0, version("a", 2));
        FeedPage page = new FeedPage(10);
        assertEquals(Feed.Position.at(2), scan(page, head, Feed.Position.at(0)));
        assertEquals(List.of("a@2"), keys(page));
        assertEquals(FeedReader.SCAN_FACTOR * 10 - 2, page.budget());
    }

    @Test
    void aRecordNotVisibleYetStopsTheScanBeforeIt() throws IOException {
        long head = source.commit(0, version("a", 1), version("b", 1));
        source.records.remove("\"b\"");
        FeedPage page = new FeedPage(10);
        assertEquals(new Feed.Position(0, 1), scan(page, head, Feed.Position.at(0)));
        assertEquals(List.of("a@1"), keys(page));
        assertEquals(0, stalls.skipped());
    }

    @Test
    void theRecordsReadAreOnlyThoseThePagesBudgetReaches() throws IOException {
        long head = 0;
        for (int i = 0; i < 5; i++) {
            head = source.commit(0, version("k" + i, 1));
        }
        FeedPage page = new FeedPage(10);
        page.scanned(page.budget() - 3);
        assertEquals(Feed.Position.at(3), scan(page, head, Feed.Position.at(0)));
        assertEquals(List.of("k0@1", "k1@1", "k2@1"), keys(page));
        assertEquals(List.of("\"k0\"", "\"k1\"", "\"k2\""), source.recordReads.stream().sorted().toList());
    }
}
