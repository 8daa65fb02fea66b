package dev.idbsync.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.config.FilesConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file sink's files: in progress, synced, rolled, committed, recovered. With an injected clock. */
class PartitionedFileWriterTest {
    private static final String P = "changes/db=notes-app/store=notes/date=2026-11-21/hour=19";

    @TempDir
    Path root;
    private long now = 1_000;

    private PartitionedFileWriter writer(FilesConfig c) {
        return new PartitionedFileWriter(root, "idbsync-t0", c, () -> now);
    }

    private FilesConfig roll(int ms, long bytes, int lines) {
        return FilesConfig.builder().enabled(true).rollIntervalMs(ms).rollBytes(bytes).rollLines(lines).build();
    }

    private List<Path> files(String glob) throws IOException {
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> p.getFileSystem().getPathMatcher("glob:" + glob).matches(p.getFileName())).sorted().toList();
        }
    }

    @Test
    void linesGoToAnInProgressFileThatTheJsonlGlobDoesNotSeeUntilItRolls() throws IOException {
        PartitionedFileWriter w = writer(roll(10_000, 1 << 20, 1000));
        w.append(P, "{\"a\":1}");
        w.append(P, "{\"a\":2}");
        w.sync();
        assertEquals(List.of(), files("*.jsonl"));
        assertEquals(1, files("*.jsonl.inprogress").size());

        now += 9_999;
        w.rollDue();
        assertEquals(List.of(), files("*.jsonl"), "not yet");
        now += 1;
        w.rollDue();
        List<Path> done = files("*.jsonl");
        assertEquals(1, done.size());
        assertTrue(done.get(0).toString().contains("/" + P + "/part-1000-idbsync-t0-"), done.toString());
        assertEquals(List.of("{\"a\":1}", "{\"a\":2}"), Files.readAllLines(done.get(0)));
        assertEquals(List.of(), files("*.inprogress"));
    }

    @Test
    void aFileRollsBySizeAndByLinesAndTheNextLinesStartANewFile() throws IOException {
        PartitionedFileWriter w = writer(roll(60_000, 1 << 20, 2));
        for (int i = 0; i < 5; i++) {
            w.append(P, "{\"i\":" + i + "}");
            w.sync();
            w.rollDue();
        }
        assertEquals(2, files("*.jsonl").size());
        w.commitAll();
        List<Path> all = files("*.jsonl");
        assertEquals(3, all.size(), "names never repeat: " + all);
        long lines = 0;
        for (Path p : all) {
            lines += Files.readAllLines(p).size();
        }
        assertEquals(5, lines);
    }

    @Test
    void partitionsHaveFilesOfTheirOwn() throws IOException {
        PartitionedFileWriter w = writer(roll(60_000, 1 << 20, 100));
        w.append(P, "{}");
        w.append("rejected/db=notes-app/date=2026-11-21/hour=19", "{}");
        w.commitAll();
        assertEquals(2, files("*.jsonl").size());
    }

    @Test
    void aFailedBatchIsCutBackToWhatWasSynced() throws IOException {
        PartitionedFileWriter w = writer(roll(60_000, 1 << 20, 100));
        w.append(P, "{\"kept\":1}");
        w.sync();
        w.append(P, "{\"failed\":1}");
        w.undoUnsynced();
        w.append(P, "{\"kept\":2}");
        w.commitAll();
        assertEquals(List.of("{\"kept\":1}", "{\"kept\":2}"), Files.readAllLines(files("*.jsonl").get(0)));
    }

    @Test
    void aRestartCommitsTheTasksLeftoversCuttingATornLineAndLeavesOtherTasksFilesAlone() throws IOException {
        Path dir = Files.createDirectories(root.resolve(P));
        Path mine = dir.resolve("part-5-idbsync-t0-abc-1.jsonl.inprogress");
        Files.writeString(mine, "{\"a\":1}\n{\"a\":2}\n{\"tor", StandardCharsets.UTF_8);
        Path empty = dir.resolve("part-6-idbsync-t0-abc-2.jsonl.inprogress");
        Files.writeString(empty, "{\"torn", StandardCharsets.UTF_8);
        Path other = dir.resolve("part-7-idbsync-t1-def-1.jsonl.inprogress");
        Files.writeString(other, "{\"b\":1}\n", StandardCharsets.UTF_8);
        Path otherTopology = dir.resolve("part-8-x-idbsync-t0-abc-1.jsonl.inprogress");
        Files.writeString(otherTopology, "{\"c\":1}\n", StandardCharsets.UTF_8);

        assertEquals(1, writer(roll(60_000, 1 << 20, 100)).recover("changes", "rejected"));
        assertEquals(List.of("{\"a\":1}", "{\"a\":2}"), Files.readAllLines(dir.resolve("part-5-idbsync-t0-abc-1.jsonl")));
        assertFalse(Files.exists(empty), "nothing synced in it: deleted");
        assertTrue(Files.exists(other), "task t1 recovers its own files");
        assertTrue(Files.exists(otherTopology), "a topology whose name ends like ours is another one");
    }

    @Test
    void anUnwritableDirectoryIsAnIoError() throws IOException {
        Files.writeString(root.resolve("changes"), "not a directory");
        PartitionedFileWriter w = writer(roll(60_000, 1 << 20, 100));
        assertThrows(IOException.class, () -> w.append(P, "{}"));
    }

    @Test
    void aFileWhoseEveryLineWasCutBackIsNotCommitted() throws IOException {
        PartitionedFileWriter w = writer(roll(60_000, 1 << 20, 100));
        w.append(P, "{\"failed\":1}");
        w.undoUnsynced();
        w.commitAll();
        assertEquals(List.of(), files("*.jsonl"));
        assertEquals(List.of(), files("*.inprogress"));
    }

    @Test
    void aCommittedFileNeverChanges() throws IOException {
        PartitionedFileWriter w = writer(roll(1000, 1 << 20, 100));
        w.append(P, "{\"a\":1}");
        now += 1000;
        w.rollDue();
        Path done = files("*.jsonl").get(0);
        String before = Files.readString(done);
        w.append(P, "{\"a\":2}");
        w.commitAll();
        assertEquals(before, Files.readString(done));
        assertEquals(2, files("*.jsonl").size());
    }
}
