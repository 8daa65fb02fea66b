// Reads the local run's changes topic from the start and prints each record (README, "Send it to Kafka too").
// jshell --class-path "$(cat topology/target/local-run.classpath)" docs/examples/read-kafka.jsh | grep '^partition'
// (the grep drops the Kafka client's own log lines; it polls for 10 s, then exits)
// Another broker or topic: BOOTSTRAP=host:port TOPIC=name jshell ...
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.serialization.StringDeserializer;
import java.nio.charset.StandardCharsets;

var bootstrap = System.getenv().getOrDefault("BOOTSTRAP", "127.0.0.1:9092");
var topic = System.getenv().getOrDefault("TOPIC", "idbsync.notes-app.changes");
var props = new java.util.Properties();
props.put("bootstrap.servers", bootstrap);
props.put("group.id", "readme-" + System.nanoTime()); // a new group: from the start every time
props.put("auto.offset.reset", "earliest");
String header(ConsumerRecord<String, String> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? "" : new String(h.value(), StandardCharsets.UTF_8);
}
try (var consumer = new KafkaConsumer<String, String>(props, new StringDeserializer(), new StringDeserializer())) {
    consumer.subscribe(java.util.List.of(topic));
    long until = System.currentTimeMillis() + 10_000;
    while (System.currentTimeMillis() < until) {
        for (var r : consumer.poll(java.time.Duration.ofMillis(500))) {
            System.out.println("partition " + r.partition() + " key " + r.key() + " eventId " + header(r, "eventId")
                    + " version " + header(r, "version") + " value " + r.value());
        }
    }
}
/exit
