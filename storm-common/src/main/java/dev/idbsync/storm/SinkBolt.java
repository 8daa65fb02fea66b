package dev.idbsync.storm;

import java.util.List;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.tuple.Tuple;

/**
 * A sink after Ignite (Flume, the files, ...): a {@link GroupCommitBolt} over the
 * {@code resolved} and {@code rejectedLog} streams, whose tuples carry their push's deadline.
 */
public abstract class SinkBolt extends GroupCommitBolt {
    private static final long serialVersionUID = 1L;

    /** Metrics v2 counter, per task: tuples the sink made durable (acked), repeats included. */
    public static final String WRITTEN_COUNTER = "idbsync.sink.written";
    /**
     * Metrics v2 counter, per task: of those, repeats: changes decided before and delivered again
     * (a resent push answered {@code duplicate}, after a failure or not); consumers drop them by
     * their event id.
     */
    public static final String REDELIVERED_COUNTER = "idbsync.sink.redelivered";
    /** Metrics v2 counter, per task: tuples failed (a failed write, or shed); their pushes got 503. */
    public static final String FAILED_COUNTER = "idbsync.sink.failed";

    private final String name;
    private final int batchSize;
    private transient com.codahale.metrics.Counter written;
    private transient com.codahale.metrics.Counter redelivered;
    private transient com.codahale.metrics.Counter failed;

    /**
     * @param name the sink's name in its writer thread's name ({@code idbsync-NAME-TASKINDEX})
     * @param batchSize most tuples written at once
     */
    protected SinkBolt(String name, int batchSize) {
        this.name = name;
        this.batchSize = batchSize;
    }

    @Override
    protected void prepareMetrics(TopologyContext context) {
        written = context.registerCounter(WRITTEN_COUNTER);
        redelivered = context.registerCounter(REDELIVERED_COUNTER);
        failed = context.registerCounter(FAILED_COUNTER);
    }

    @Override
    protected void finish(List<Tuple> tuples, boolean ok) {
        super.finish(tuples, ok);
        if (!ok) {
            failed.inc(tuples.size());
            return;
        }
        written.inc(tuples.size());
        long again = 0;
        for (Tuple t : tuples) {
            again += TupleContract.delivery(t).redeliver() ? 1 : 0;
        }
        redelivered.inc(again);
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
