package dev.idbsync.topology.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.idbsync.resolve.Conflict;
import dev.idbsync.resolve.ConflictPolicy;
import dev.idbsync.resolve.Resolution;

/** A custom policy for the tests, loaded by name from the config: the longer title wins a conflict. */
public class KeepLongerTitle implements ConflictPolicy {
    @Override
    public Resolution resolve(Conflict conflict) {
        JsonNode stored = conflict.stored().value();
        JsonNode incoming = conflict.change().value();
        if (incoming == null || stored == null) {
            return Resolution.keepStored();
        }
        return incoming.path("title").asText().length() > stored.path("title").asText().length()
                ? Resolution.applyChange() : Resolution.keepStored();
    }
}
