package dev.idbsync.ignite;

import java.io.Serializable;
import org.apache.ignite.client.IgniteClient;

/**
 * Makes the Ignite thin client a spout or bolt uses. Components get a factory, call it in
 * {@code open()}/{@code prepare()} and close the client in {@code close()}/{@code cleanup()};
 * tests hand in a factory of their own to inject failures.
 */
@FunctionalInterface
public interface IgniteClientFactory extends Serializable {
    IgniteClient create();
}
