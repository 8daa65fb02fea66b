import org.apache.ignite.Ignition;
import org.apache.ignite.client.IgniteClient;
import org.apache.ignite.configuration.ClientConfiguration;

/**
 * Reads one record the way any Ignite user can: a thin client, a String key (the record key's
 * canonical JSON form) and a JSON String value. Only ignite-core on the classpath.
 *
 *   java @conf/jvm/ignite.args -cp "$(cat /tmp/ignite.cp)" docs/examples/thin-client/ReadRecord.java \
 *       127.0.0.1:10800 notes-app.notes '"n-1"'
 */
public class ReadRecord {
    public static void main(String[] args) throws Exception {
        String address = args.length > 0 ? args[0] : "127.0.0.1:10800";
        String cache = args.length > 1 ? args[1] : "notes-app.notes";
        String key = args.length > 2 ? args[2] : "\"n-1\"";
        try (IgniteClient client = Ignition.startClient(new ClientConfiguration().setAddresses(address))) {
            String record = client.<String, String>cache(cache).get(key);
            System.out.println(record == null ? "no record " + key + " in " + cache : record);
        }
    }
}
