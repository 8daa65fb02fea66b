package dev.idbsync.kafka;

import dev.idbsync.config.KafkaConfig;
import dev.idbsync.storm.SinkBolt;
import dev.idbsync.storm.TupleContract;
import dev.idbsync.storm.TupleContract.RejectedEntry;
import dev.idbsync.storm.TupleContract.Resolved;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.storm.task.TopologyContext;
import org.apache.storm.topology.OutputFieldsDeclarer;
import org.apache.storm.tuple.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends every resolved change (and, with {@code kafka.rejectedTopic}, every rejected one) to Kafka
 * ({@link KafkaRecords}), in batches ({@link dev.idbsync.storm.GroupCommitBolt}): the writer thread
 * hands a batch's records to the producer, flushes, and acks the batch's tuples only when the
 * brokers acknowledged every record ({@code acks=all}, idempotent producer); when one failed or
 * did not make it within {@code kafka.deliveryTimeoutMs}, the whole batch fails (its pushes get
 * 503, and the client's retry sends the records again). The producer is remade after a failure.
 *
 * <p>Why not storm-kafka-client's {@code KafkaBolt}: it builds {@code new ProducerRecord(topic, key,
 * message)}, with no way to add headers, which the records must carry; it acks one tuple per
 * callback from the producer's I/O thread, outside the bounded queue and push deadlines that the
 * other sinks share ({@link SinkBolt}); and a topic selector that returns null acks the tuple
 * with only a warning. docs/kafka.md says more.
 *
 * <p>Delivery is at least once: a batch whose records reached the brokers but whose answer did not
 * (or that failed because another sink failed) is sent again on the client's retry. Records of one
 * (db, store, key) come to one task (fields grouping) in version order and go out in that order
 * (idempotence keeps it across the producer's own retries). Metrics: {@link SinkBolt}'s (tuples
 * written, redelivered, failed) and {@link dev.idbsync.storm.GroupCommitBolt}'s (batch sizes, commit times).
 */
public class KafkaSinkBolt extends SinkBolt {
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(KafkaSinkBolt.class);

    private final KafkaConfig config;
    private final KafkaClientFactory clientFactory;

    private transient Producer<byte[], byte[]> producer;

    public KafkaSinkBolt(KafkaConfig config, KafkaClientFactory clientFactory) {
        super("kafka", config.batchSize());
        this.config = config;
        this.clientFactory = clientFactory;
    }

    @Override
    protected void open(Map<String, Object> topoConf, TopologyContext context) {
        if (context.getThisTaskIndex() == 0) {
            LOG.info("Kafka sink: brokers {}, topic {}, rejected changes {}, batch {}, delivery timeout {} ms;"
                            + " producer settings {}", config.bootstrapServers(), config.topic(),
                    config.rejectedTopic() == null ? "not sent" : "to " + config.rejectedTopic(), config.batchSize(),
                    config.deliveryTimeoutMs(), KafkaClientFactory.masked(KafkaClientFactory.producerProperties(config)));
        }
    }

    @Override
    protected void stopWriter() {
        closeProducer(Duration.ofSeconds(5));
    }

    @Override
    public void declareOutputFields(OutputFieldsDeclarer declarer) {
        // a sink: nothing goes further
    }

    @Override
    protected boolean write(List<Tuple> batch) {
        List<Future<RecordMetadata>> futures = new ArrayList<>(batch.size());
        try {
            if (producer == null) {
                producer = clientFactory.producer();
            }
            for (Tuple t : batch) {
                TupleContract.Delivery d = TupleContract.delivery(t);
                ProducerRecord<byte[], byte[]> r = d instanceof Resolved resolved
                        ? KafkaRecords.change(config, resolved.event())
                        : KafkaRecords.rejected(config, ((RejectedEntry) d).entry());
                if (r == null) {
                    continue; // a rejected entry with rejected changes not sent: the topology does not route them here
                }
                futures.add(producer.send(r));
            }
            producer.flush();
            for (Future<RecordMetadata> f : futures) {
                f.get(); // done after flush; throws the record's failure
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return fail(batch, e);
        } catch (Exception | Error e) {
            // a send that found no broker within max.block.ms, a record the brokers did not
            // acknowledge in time (ExecutionException), a fenced or closed producer: the batch fails
            return fail(batch, e);
        }
    }

    private boolean fail(List<Tuple> batch, Throwable e) {
        Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
        LOG.warn("sending {} records to Kafka {} failed; failing them (their pushes get 503): {}", batch.size(),
                config.bootstrapServers(), cause.toString());
        closeProducer(Duration.ZERO);
        return false;
    }

    private void closeProducer(Duration wait) {
        if (producer != null) {
            try {
                producer.close(wait);
            } catch (RuntimeException e) {
                LOG.debug("closing the Kafka producer failed", e);
            }
            producer = null;
        }
    }
}
