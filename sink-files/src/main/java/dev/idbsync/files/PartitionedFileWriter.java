package dev.idbsync.files;

import dev.idbsync.config.FilesConfig;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes lines into partition directories under a root, one in-progress file per partition,
 * and commits each file by an atomic rename when it rolls. The file-sink bolt's writer thread is
 * its only user.
 *
 * <p>Names: {@code part-<opened ms>-<tag>-<nonce>-<n>.jsonl}, where the tag names the topology
 * and the task and the nonce is new at every start, so names never repeat across tasks, workers
 * and restarts. While written a file ends in {@code .jsonl.inprogress}, which the glob
 * {@code *.jsonl} does not match. A committed file never changes.
 *
 * <p>Durability: {@link #sync()} forces every file written since the last sync to disk (one
 * fsync per file per batch: group commit), and is called before any of a batch's tuples are
 * acked. A commit forces the file, renames it and forces the directory. After a crash,
 * {@link #recover()} commits the task's leftover in-progress files, cutting off a torn last line.
 */
public final class PartitionedFileWriter implements Closeable {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionedFileWriter.class);
    public static final String SUFFIX = ".jsonl";
    public static final String IN_PROGRESS = ".jsonl.inprogress";

    private final Path root;
    private final String tag;
    private final FilesConfig config;
    private final LongSupplier clock;
    private final String nonce = Long.toHexString(new SecureRandom().nextLong() & Long.MAX_VALUE);
    private final Map<String, Open> open = new HashMap<>();
    private long counter;

    private static final class Open {
        final Path path;
        final FileChannel channel;
        final long openedAt;
        long bytes;
        long lines;
        boolean dirty;
        long syncedBytes;
        long syncedLines;
        /** The directory entry of a new file is made durable with its first sync. */
        boolean newFile = true;

        Open(Path path, FileChannel channel, long openedAt) {
            this.path = path;
            this.channel = channel;
            this.openedAt = openedAt;
        }
    }

    /**
     * @param tag names the writer's task, stable across restarts (e.g. {@code idbsync-t0}): it
     *            finds the task's own leftovers in {@link #recover()}
     */
    public PartitionedFileWriter(Path root, String tag, FilesConfig config, LongSupplier clock) {
        this.root = root;
        this.tag = tag;
        this.config = config;
        this.clock = clock;
    }

    /** Appends one line (without its newline) to the partition's in-progress file. */
    public void append(String partition, String line) throws IOException {
        Open o = open.get(partition);
        if (o == null) {
            Path dir = root.resolve(partition);
            Files.createDirectories(dir);
            long now = clock.getAsLong();
            Path p = dir.resolve("part-" + now + "-" + tag + "-" + nonce + "-" + (++counter) + IN_PROGRESS);
            o = new Open(p, FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), now);
            open.put(partition, o);
        }
        ByteBuffer buf = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
        while (buf.hasRemaining()) {
            o.bytes += o.channel.write(buf);
        }
        o.lines++;
        o.dirty = true;
    }

    /** Forces what was appended since the last sync to disk. */
    public void sync() throws IOException {
        for (Open o : open.values()) {
            if (o.dirty) {
                o.channel.force(false);
                if (o.newFile) {
                    // the file's entry, and those of partition directories made for it, up to the root
                    for (Path d = o.path.getParent(); d != null && d.startsWith(root); d = d.getParent()) {
                        syncDirectory(d);
                        if (d.equals(root)) {
                            break;
                        }
                    }
                    o.newFile = false;
                }
                o.dirty = false;
                o.syncedBytes = o.bytes;
                o.syncedLines = o.lines;
            }
        }
    }

    /**
     * After a failed batch: cuts every file back to what was synced, so that no line of the
     * failed batch (perhaps a torn one) stays; a file that cannot be cut is given up and left for
     * {@link #recover()}.
     */
    public void undoUnsynced() {
        for (Iterator<Open> it = open.values().iterator(); it.hasNext(); ) {
            Open o = it.next();
            if (!o.dirty) {
                continue;
            }
            try {
                o.channel.truncate(o.syncedBytes);
                o.channel.position(o.syncedBytes);
                o.bytes = o.syncedBytes;
                o.lines = o.syncedLines;
                o.dirty = false;
            } catch (IOException e) {
                LOG.warn("cannot cut {} back after a failed write; leaving it for recovery: {}", o.path, e.toString());
                closeQuietly(o);
                it.remove();
            }
        }
    }

    /**
     * Commits the files that are older than the roll interval, or bigger than the roll limits.
     * A file that cannot be committed is given up (left in progress for {@link #recover}) so
     * that its partition starts a new file; the first such error is thrown after the others
     * were tried.
     */
    public void rollDue() throws IOException {
        long now = clock.getAsLong();
        commitWhere(o -> now - o.openedAt >= config.rollIntervalMs() || o.bytes >= config.rollBytes()
                || o.lines >= config.rollLines());
    }

    /** Commits every open file (a clean shutdown). */
    public void commitAll() throws IOException {
        commitWhere(o -> true);
    }

    private void commitWhere(java.util.function.Predicate<Open> due) throws IOException {
        IOException first = null;
        for (Iterator<Open> it = open.values().iterator(); it.hasNext(); ) {
            Open o = it.next();
            if (!due.test(o)) {
                continue;
            }
            it.remove();
            try {
                commit(o);
            } catch (IOException e) {
                LOG.warn("cannot commit {}; leaving it for recovery at the next start: {}", o.path, e.toString());
                closeQuietly(o);
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** Number of files open for writing. */
    public int openFiles() {
        return open.size();
    }

    /**
     * Commits what a crash of this task left in progress under the given trees: a torn last line
     * (not yet synced, so never acked) is cut off, an empty file deleted. Returns the files committed.
     */
    public int recover(String... trees) throws IOException {
        int committed = 0;
        // exactly this task's names: a tag that merely contains ours is another task's
        java.util.regex.Pattern mine = java.util.regex.Pattern.compile(
                "part-\\d+-" + java.util.regex.Pattern.quote(tag) + "-[0-9a-f]+-\\d+" + java.util.regex.Pattern.quote(IN_PROGRESS));
        for (String tree : trees) {
            Path dir = root.resolve(tree);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            List<Path> leftovers = new ArrayList<>();
            try (Stream<Path> s = Files.walk(dir)) {
                s.filter(p -> mine.matcher(p.getFileName().toString()).matches()).forEach(leftovers::add);
            }
            for (Path p : leftovers) {
                try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    long keep = lastNewline(ch) + 1;
                    if (keep < ch.size()) {
                        LOG.warn("{}: cutting off a torn last line ({} bytes)", p, ch.size() - keep);
                        ch.truncate(keep);
                    }
                    if (keep == 0) {
                        ch.close();
                        Files.delete(p);
                        continue;
                    }
                    ch.force(true);
                }
                rename(p);
                committed++;
            }
        }
        return committed;
    }

    @Override
    public void close() throws IOException {
        commitAll();
    }

    private void commit(Open o) throws IOException {
        o.channel.force(true);
        o.channel.close();
        if (o.bytes == 0) {
            Files.delete(o.path); // every line was cut back: nothing to commit
            return;
        }
        rename(o.path);
    }

    private void rename(Path inProgress) throws IOException {
        String name = inProgress.getFileName().toString();
        Path done = inProgress.resolveSibling(name.substring(0, name.length() - IN_PROGRESS.length()) + SUFFIX);
        Files.move(inProgress, done, StandardCopyOption.ATOMIC_MOVE);
        syncDirectory(inProgress.getParent()); // the rename is durable only once the directory is
    }

    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            LOG.debug("cannot sync directory {}: {}", dir, e.toString());
        }
    }

    private static long lastNewline(FileChannel ch) throws IOException {
        long size = ch.size();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        long pos = size;
        while (pos > 0) {
            int n = (int) Math.min(buf.capacity(), pos);
            pos -= n;
            buf.clear().limit(n);
            ch.read(buf, pos);
            for (int i = n - 1; i >= 0; i--) {
                if (buf.get(i) == '\n') {
                    return pos + i;
                }
            }
        }
        return -1;
    }

    private static void closeQuietly(Open o) {
        try {
            o.channel.close();
        } catch (IOException e) {
            // already given up
        }
    }
}
