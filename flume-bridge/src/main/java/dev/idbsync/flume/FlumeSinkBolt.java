package dev.idbsync.flume;

import dev.idbsync.storm.SinkBolt;
import dev.idbsync.storm.TupleContract.Resolved;
import dev.idbsync.config.FlumeConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flume.Event;
import org.apache.flume.api.RpcClient;
import org.apache.storm.metric.api.CountMetric;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.tuple.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends every resolved change to Flume ({@link FlumeEvents}) with the SDK's RPC client, in
 * batches ({@link GroupCommitBolt}): a writer thread takes whatever queued up while the previous
 * batch was in flight, calls {@code appendBatch}, and acks the batch's tuples only after it
 * returned, that is after an agent's channel committed them; when it throws, the tuples fail
 * (their pushes get 503, and the client's retry delivers the events again). The client is remade
 * after a failure.
 *
 * <p>Delivery is at least once: an event may reach Flume twice after a failure (a batch that an
 * agent committed but whose answer was lost, a retry after another sink failed). The metric
 * {@value #REDELIVERED_METRIC} counts the events sent again for changes decided before (every
 * resend of a change already decided, after a failure or not); {@value #FAILED_METRIC} the
 * events of failed batches.
 */
public class FlumeSinkBolt extends SinkBolt {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(FlumeSinkBolt.class);
    public static final String SENT_METRIC = "idbsync.flume.sent";
    public static final String FAILED_METRIC = "idbsync.flume.failed";
    public static final String REDELIVERED_METRIC = "idbsync.flume.redelivered";

    private final FlumeConfig config;
    private final FlumeClientFactory clientFactory;

    private transient RpcClient client;
    private transient CountMetric sent;
    private transient CountMetric failed;
    private transient CountMetric redelivered;

    public FlumeSinkBolt(FlumeConfig config, FlumeClientFactory clientFactory) {
        super("flume", config.batchSize());
        this.config = config;
        this.clientFactory = clientFactory;
    }

    @Override
    protected void open(Map<String, Object> topoConf, TopologyContext context) {
        sent = context.registerMetric(SENT_METRIC, new CountMetric(), 60);
        failed = context.registerMetric(FAILED_METRIC, new CountMetric(), 60);
        redelivered = context.registerMetric(REDELIVERED_METRIC, new CountMetric(), 60);
        if (context.getThisTaskIndex() == 0) {
            LOG.info("Flume bridge: {} agent(s) {}, selector {}, batch {}, connect timeout {} ms, request timeout {} ms;"
                            + " client settings {}", config.agents().size(), config.agents(), config.selector(),
                    config.batchSize(), config.connectTimeoutMs(), config.requestTimeoutMs(),
                    FlumeClientFactory.properties(config));
        }
    }

    @Override
    protected void stopWriter() {
        closeClient();
    }

    @Override
    public void declareOutputFields(OutputFieldsDeclarer declarer) {
        // a sink: nothing goes further
    }

    @Override
    protected boolean write(List<Tuple> batch) {
        return send(batch);
    }

    private boolean send(List<Tuple> batch) {
        List<Event> events = new ArrayList<>(batch.size());
        int again = 0;
        try {
            for (Tuple t : batch) {
                Resolved r = Resolved.of(t);
                events.add(FlumeEvents.of(r.event()));
                again += r.redeliver() ? 1 : 0;
            }
            if (client == null || !client.isActive()) {
                closeClient();
                client = clientFactory.create();
            }
            client.appendBatch(events);
            sent.incrBy(events.size());
            redelivered.incrBy(again);
            return true;
        } catch (Exception | Error e) {
            // EventDeliveryException, a FlumeException when no agent could be reached at all, or
            // anything else: the batch fails, the sending thread goes on
            LOG.warn("sending {} events to Flume {} failed; failing them (their pushes get 503): {}", events.size(),
                    config.agents(), e.toString());
            failed.incrBy(events.size());
            closeClient();
            return false;
        }
    }

    private void closeClient() {
        if (client != null) {
            try {
                client.close();
            } catch (RuntimeException e) {
                LOG.debug("closing the Flume client failed", e);
            }
            client = null;
        }
    }
}
