package dev.idbsync.bolt;

import static dev.idbsync.common.storm.TupleContract.CHANGE;
import static dev.idbsync.common.storm.TupleContract.CHANGE_FIELDS;
import static dev.idbsync.common.storm.TupleContract.REJECTED_FIELDS;
import static dev.idbsync.common.storm.TupleContract.REJECTED_STREAM;
import static dev.idbsync.common.storm.TupleContract.VALID_STREAM;

import dev.idbsync.config.SyncConfig;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.ChangeError;
import dev.idbsync.protocol.Result;
import java.util.Map;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.BasicOutputCollector;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.topology.base.BaseBasicBolt;
import org.apache.storm.tuple.Tuple;
import org.apache.storm.tuple.Values;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks each change ({@link ChangeValidator}). Valid changes go on to the sinks on
 * {@code valid}; invalid ones go on {@code rejected} with their result, and are acked, never
 * failed: a bad change is used up and must not be replayed or block the ones after it.
 */
public class ValidateBolt extends BaseBasicBolt {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ValidateBolt.class);

    private final SyncConfig config;
    private transient ChangeValidator validator;

    public ValidateBolt(SyncConfig config) {
        this.config = config;
    }

    @Override
    public void prepare(Map<String, Object> topoConf, TopologyContext context) {
        validator = new ChangeValidator(config);
    }

    @Override
    public void execute(Tuple input, BasicOutputCollector collector) {
        Change c = (Change) input.getValueByField(CHANGE);
        ChangeError error = validator.check(c);
        if (error == null) {
            collector.emit(VALID_STREAM, new Values(c.db(), c.store(), c.keyString(), c.clientId(), c));
        } else {
            LOG.debug("rejected {}: {} at {}: {}", c.eventId(), error.code(), error.path(), error.message());
            collector.emit(REJECTED_STREAM, new Values(c.db(), c.store(), c.keyString(), c.clientId(), c,
                    Result.rejected(c.seq(), error)));
        }
    }

    @Override
    public void declareOutputFields(OutputFieldsDeclarer declarer) {
        declarer.declareStream(VALID_STREAM, CHANGE_FIELDS);
        declarer.declareStream(REJECTED_STREAM, REJECTED_FIELDS);
    }
}
