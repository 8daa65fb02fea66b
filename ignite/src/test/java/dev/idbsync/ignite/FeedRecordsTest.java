package dev.idbsync.ignite;

import static dev.idbsync.ignite.MemoryFeed.version;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.idbsync.config.ConfigLoader;
import dev.idbsync.config.SyncConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The records a run of feed positions names, as they are now. */
class FeedRecordsTest {
    @TempDir
    Path dir;

    @Test
    void onlyThePositionsInRangeOfConfiguredStoresAreReadAndBadRecordsCountAsAbsent() throws IOException {
        Path yaml = dir.resolve("test.yaml");
        Files.writeString(yaml, "dbs:\n  notes-app:\n    stores:\n      notes: {}\n", StandardCharsets.UTF_8);
        SyncConfig config = ConfigLoader.load(yaml);
        MemoryFeed source = new MemoryFeed();
        source.commit(0, version("a", 1), version("b", 2), version("c", 1));
        source.records.put("\"b\"", "[\"not a record\"]");
        FeedBlock block = new FeedBlock(0, List.of(new FeedBlock.Version("notes", "\"a\"", 1),
                new FeedBlock.Version("notes", "\"b\"", 2), new FeedBlock.Version("gone", "\"x\"", 1),
                new FeedBlock.Version("notes", "\"c\"", 1)));

        FeedRecords records = FeedRecords.read(source, config, MemoryFeed.DB, List.of(block), 1, 3);

        assertEquals(List.of("\"b\""), source.recordReads, "position 1 is read already, 4 is past the last, 3's store is gone");
        assertNull(records.get("notes", "\"a\""));
        assertNull(records.get("notes", "\"b\""), "not in idbsync's format: as if not there");
    }

    @Test
    void aRecordReadIsFoundByStoreAndCanonicalKey() throws IOException {
        Path yaml = dir.resolve("test.yaml");
        Files.writeString(yaml, "dbs:\n  notes-app:\n    stores:\n      notes: {}\n", StandardCharsets.UTF_8);
        SyncConfig config = ConfigLoader.load(yaml);
        MemoryFeed source = new MemoryFeed();
        source.commit(0, version("a", 3));
        FeedBlock block = FeedBlock.parse(0, source.feed.get(Feed.entryKey(MemoryFeed.DB, 0, 1)));

        FeedRecords records = FeedRecords.read(source, config, MemoryFeed.DB, List.of(block), 0, 1);

        assertEquals(3, records.get("notes", "\"a\"").version());
        assertNull(records.get("other", "\"a\""));
    }
}
