package dev.idbsync.topology.it;

import dev.idbsync.ignite.IgniteClientFactory;
import dev.idbsync.ignite.ThinClientFactory;
import dev.idbsync.config.IgniteConfig;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.ignite.client.ClientCache;
import org.apache.ignite.client.ClientException;
import org.apache.ignite.client.IgniteClient;

/**
 * A real thin client whose cache writes can be made to fail or hang from outside, through flag
 * files: the factory is serialized into the topology, so a file (not a field) is what a test
 * and a worker can both see, in one process or in several.
 */
public final class FaultyIgniteFactory implements IgniteClientFactory {
    private static final long serialVersionUID = 1L;

    private final IgniteConfig config;
    private final String flagDir;

    public FaultyIgniteFactory(IgniteConfig config, Path flagDir) {
        this.config = config;
        this.flagDir = flagDir.toString();
    }

    public static Path failWrites(Path flagDir) {
        return flagDir.resolve("fail-writes");
    }

    public static Path hangWrites(Path flagDir) {
        return flagDir.resolve("hang-writes");
    }

    /** A file holding a probability: each cache write then fails with it. */
    public static Path failRate(Path flagDir) {
        return flagDir.resolve("fail-rate");
    }

    @Override
    public IgniteClient create() {
        IgniteClient real = new ThinClientFactory(config).create();
        Path dir = Path.of(flagDir);
        return (IgniteClient) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {IgniteClient.class},
                (proxy, m, args) -> {
                    Object r = invoke(real, m, args);
                    if (r instanceof ClientCache<?, ?> cache) {
                        return faulty(cache, dir);
                    }
                    return r;
                });
    }

    private static Object faulty(ClientCache<?, ?> cache, Path dir) {
        return Proxy.newProxyInstance(FaultyIgniteFactory.class.getClassLoader(), new Class<?>[] {ClientCache.class},
                (proxy, m, args) -> {
                    // Faults hit the stores' record caches (named db.store) only: enough to fail the
                    // resolver's transaction, while the sequencer's own writes go through.
                    if (m.getName().startsWith("put") && cache.getName().contains(".")) {
                        while (Files.exists(hangWrites(dir))) {
                            Thread.sleep(20);
                        }
                        if (Files.exists(failWrites(dir))) {
                            throw new ClientException("injected failure: " + m.getName() + " on " + cache.getName());
                        }
                        Path rate = failRate(dir);
                        if (Files.exists(rate)
                                && ThreadLocalRandom.current().nextDouble() < Double.parseDouble(Files.readString(rate).trim())) {
                            throw new ClientException("injected random failure: " + m.getName() + " on " + cache.getName());
                        }
                    }
                    return invoke(cache, m, args);
                });
    }

    private static Object invoke(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
