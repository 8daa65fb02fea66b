package dev.idbsync.files;

import dev.idbsync.storm.SinkBolt;
import dev.idbsync.storm.TupleContract;
import dev.idbsync.storm.TupleContract.RejectedEntry;
import dev.idbsync.storm.TupleContract.Resolved;
import dev.idbsync.config.FilesConfig;
import dev.idbsync.protocol.SinkEvent;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.tuple.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes every resolved change, and every rejected change, as a line of JSON
 * ({@link FileLines}) into partitioned files that Beam, Flink or Spark read
 * ({@link PartitionedFileWriter}). A writer thread ({@link GroupCommitBolt}) takes whatever
 * queued up while the previous batch was being written, appends it, syncs the files to disk once
 * for the whole batch (group commit) and only then acks the batch's tuples; an I/O error (a full or unwritable disk) fails
 * them, so their pushes get 503, and cuts the files back to what was synced. Files roll by age,
 * size and line count, and are committed on clean shutdown; on start, the task commits what a
 * crash left in progress.
 */
public class FileSinkBolt extends SinkBolt {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(FileSinkBolt.class);

    private final FilesConfig config;
    private final String root;
    private final String topologyName;

    private transient PartitionedFileWriter writer;

    /**
     * @param root the directory that holds the {@code changes} and {@code rejected} trees
     */
    public FileSinkBolt(FilesConfig config, String root, String topologyName) {
        super("files", config.batchSize());
        this.config = config;
        this.root = root;
        this.topologyName = topologyName;
    }

    @Override
    protected void open(Map<String, Object> topoConf, TopologyContext context) {
        String tag = topologyName + "-t" + context.getThisTaskIndex();
        writer = new PartitionedFileWriter(Path.of(root), tag, config, System::currentTimeMillis);
        try {
            int recovered = writer.recover(FileLines.CHANGES, FileLines.REJECTED);
            if (recovered > 0) {
                LOG.info("committed {} file(s) that task {} left in progress under {}", recovered, tag, root);
            }
        } catch (IOException e) {
            LOG.warn("committing the files left in progress under {} failed; they stay as they are: {}", root, e.toString());
        }
        LOG.info("file sink {}: changes and rejected changes under {}, rolling every {} ms, {} bytes or {} lines",
                tag, root, config.rollIntervalMs(), config.rollBytes(), config.rollLines());
    }

    @Override
    protected void idle() {
        try {
            writer.rollDue();
        } catch (IOException e) {
            LOG.warn("committing a rolled file under {} failed; it is left for recovery: {}", root, e.toString());
        }
    }

    @Override
    protected void stopWriter() {
        try {
            writer.commitAll(); // a clean shutdown commits what is in progress
        } catch (IOException e) {
            LOG.warn("committing the files in progress under {} at shutdown failed; the next start does: {}",
                    root, e.toString());
        }
    }

    @Override
    public void declareOutputFields(OutputFieldsDeclarer declarer) {
        // a sink: nothing goes further
    }

    @Override
    protected boolean write(List<Tuple> batch) {
        try {
            for (Tuple t : batch) {
                TupleContract.Delivery d = TupleContract.delivery(t);
                if (d instanceof RejectedEntry r) {
                    writer.append(FileLines.rejectedPartition(r.entry()), r.entry().toString());
                } else if (d instanceof Resolved resolved) {
                    SinkEvent e = resolved.event();
                    writer.append(FileLines.changePartition(e), FileLines.changeLine(e));
                }
            }
            writer.sync();
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("writing {} lines under {} failed; failing them (their pushes get 503): {}", batch.size(), root,
                    e.toString());
            writer.undoUnsynced();
            return false;
        }
    }
}
