package dev.idbsync.storm;

import org.apache.storm.task.TopologyContext;
import org.apache.storm.tuple.Tuple;

/**
 * A sink after Ignite (Flume, the files, ...): a {@link GroupCommitBolt} over the
 * {@code resolved} and {@code rejectedLog} streams, whose tuples carry their push's deadline.
 */
public abstract class SinkBolt extends GroupCommitBolt {
    private static final long serialVersionUID = 1L;

    private final String name;
    private final int batchSize;

    /**
     * @param name the sink's name in its writer thread's name ({@code idbsync-NAME-TASKINDEX})
     * @param batchSize most tuples written at once
     */
    protected SinkBolt(String name, int batchSize) {
        this.name = name;
        this.batchSize = batchSize;
    }

    @Override
    protected final int maxBatch() {
        return batchSize;
    }

    /**
     * The deadline of the push that sent the tuple ({@code answeredAt}, set by the resolver: its
     * receive time + {@code http.requestTimeoutMs}); a tuple that finds the queue full until then
     * is failed. With room it is written even when its push was answered: Ignite has it already.
     */
    @Override
    protected final long answeredAt(Tuple t) {
        return TupleContract.delivery(t).answeredAt();
    }

    @Override
    protected final String threadName(TopologyContext context) {
        return "idbsync-" + name + "-" + context.getThisTaskIndex();
    }
}
