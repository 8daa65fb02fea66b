package dev.idbsync.files;

import dev.idbsync.health.SinkProbe;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.UUID;

/**
 * The file sink can write: in each of its trees ({@code changes} and {@code rejected} under
 * files.dir) a probe file can be created, written, synced and deleted, as the sink does with its
 * part files. On a cluster files.dir is a shared file system that every worker sees, so what
 * the spout's worker finds holds for the sink's. The probe file's name ends in neither
 * {@code .jsonl} nor {@code .inprogress}: no reader takes it, even for the moment it exists.
 */
public final class FilesProbe implements SinkProbe {
    private static final long serialVersionUID = 1L;

    private final String root;

    /** @param root the file sink's directory (files.dir, or the data dir) */
    public FilesProbe(String root) {
        this.root = root;
    }

    @Override
    public String name() {
        return "files";
    }

    @Override
    public void check() throws IOException {
        for (String tree : new String[] {"changes", "rejected"}) {
            Path dir = Path.of(root, tree);
            try {
                Files.createDirectories(dir);
                Path probe = dir.resolve(".idbsync-health-" + UUID.randomUUID());
                try (FileChannel ch = FileChannel.open(probe, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.wrap(new byte[] {'\n'}));
                    ch.force(true);
                } finally {
                    Files.deleteIfExists(probe);
                }
            } catch (IOException e) {
                throw new IOException(dir + " is not writable (" + e.getClass().getSimpleName()
                        + (e.getMessage() != null ? ": " + e.getMessage() : "") + ")", e);
            }
        }
    }
}
