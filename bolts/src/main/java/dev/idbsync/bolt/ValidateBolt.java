package dev.idbsync.bolt;

import dev.idbsync.storm.Metrics;
import dev.idbsync.validate.ChangeValidator;
import static dev.idbsync.storm.TupleContract.CHECKED_STREAM;

import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Result;
import dev.idbsync.storm.TupleContract;
import dev.idbsync.storm.TupleContract.Checked;
import dev.idbsync.storm.TupleContract.Received;
import java.util.Map;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.BasicOutputCollector;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.topology.base.BaseBasicBolt;
import org.apache.storm.tuple.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks each change ({@link ChangeValidator}) and passes every change on, in order, with its
 * {@code rejected} result when it failed a check. A rejected change still goes through the
 * sequencer and the resolver: it uses up its seq and its outcome is stored like any other, and
 * it is never failed (a bad change must not be replayed or block the ones after it). The check
 * never throws for a change: whatever the schema library throws (a stack overflow on a long
 * string included) rejects it as {@code validation_failed} ({@link ChangeValidator#check}), as an
 * exception out of a basic bolt would kill the worker, and the client's retry the next one.
 */
public class ValidateBolt extends BaseBasicBolt {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ValidateBolt.class);

    private final SyncConfig config;
    /** Metrics v2 counters, per task and {@code code}: changes that failed a check, by the error's code. */
    public static final String REJECTED_COUNTER = "idbsync.validate.rejected";
    /** Metrics v2 counter, per task: changes checked. */
    public static final String CHECKED_COUNTER = "idbsync.validate.checked";

    private transient ChangeValidator validator;
    private transient Metrics.Labelled rejectedByCode;
    private transient com.codahale.metrics.Counter checked;

    public ValidateBolt(SyncConfig config) {
        this.config = config;
    }

    @Override
    public void prepare(Map<String, Object> topoConf, TopologyContext context) {
        validator = new ChangeValidator(config);
        Metrics metrics = Metrics.of(context);
        rejectedByCode = metrics.labelled(REJECTED_COUNTER, "code");
        checked = metrics.counter(CHECKED_COUNTER);
    }

    @Override
    public void execute(Tuple input, BasicOutputCollector collector) {
        if (TupleContract.isProbe(input)) {
            return; // acked on return
        }
        Received in = Received.of(input);
        Change c = in.change();
        ChangeError error = validator.check(c);
        Result rejected = null;
        checked.inc();
        if (error != null) {
            rejectedByCode.of(error.code()).inc();
            LOG.debug("rejected {}: {} at {}: {}", c.eventId(), error.code(), error.path(), error.message());
            rejected = Result.rejected(c.seq(), error);
        }
        collector.emit(CHECKED_STREAM, in.checked(rejected).values());
    }

    @Override
    public void declareOutputFields(OutputFieldsDeclarer declarer) {
        declarer.declareStream(CHECKED_STREAM, Checked.FIELDS);
    }
}
