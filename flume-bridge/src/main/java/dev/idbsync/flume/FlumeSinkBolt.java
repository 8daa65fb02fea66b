package dev.idbsync.flume;

import dev.idbsync.storm.SinkBolt;
import dev.idbsync.storm.TupleContract.Resolved;
import dev.idbsync.config.FlumeConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.flume.Event;
import org.apache.flume.api.RpcClient;
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
 * agent committed but whose answer was lost, a retry after another sink failed). Its metrics v2
 * are {@link SinkBolt}'s and {@link GroupCommitBolt}'s: {@value SinkBolt#REDELIVERED_COUNTER}
 * counts the events sent again for changes decided before (every resend of a change already
 * decided, after a failure or not), {@value SinkBolt#FAILED_COUNTER} the events of failed batches
 * (each a possible repeat: the agent may have committed it); batch sizes and appendBatch times.
 */
public class FlumeSinkBolt extends SinkBolt {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(FlumeSinkBolt.class);

    private final FlumeConfig config;
    private final FlumeClientFactory clientFactory;

    private transient RpcClient client;

    public FlumeSinkBolt(FlumeConfig config, FlumeClientFactory clientFactory) {
        super("flume", config.batchSize());
        this.config = config;
        this.clientFactory = clientFactory;
    }

    @Override
    protected void open(Map<String, Object> topoConf, TopologyContext context) {
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
        try {
            for (Tuple t : batch) {
                events.add(FlumeEvents.of(Resolved.of(t).event()));
            }
            if (client == null || !client.isActive()) {
                closeClient();
                client = clientFactory.create();
            }
            client.appendBatch(events);
            return true;
        } catch (Exception | Error e) {
            // EventDeliveryException, a FlumeException when no agent could be reached at all, or
            // anything else: the batch fails, the sending thread goes on
            LOG.warn("sending {} events to Flume {} failed; failing them (their pushes get 503): {}", events.size(),
                    config.agents(), e.toString());
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
