package dev.idbsync.common.ignite;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Op;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * A record as it is kept in its store's Ignite cache: the cache key is the key's canonical
 * form (a String, e.g. {@code "\"n-1\""} for the string key n-1) and the cache value is this
 * object as a JSON String, so that any thin client in any language reads it without idbsync's
 * classes. A delete leaves a tombstone: {@code op} "delete", no {@code value}, its own version.
 *
 * @param key      the key as the client sent it (JSON)
 * @param version  1 on the first accepted write, +1 on each later one, deletes included
 * @param clientId the client whose change wrote this version
 * @param seq      that change's seq
 * @param ts       that change's ts, corrected by the client's clock skew
 * @param serverTs the server's clock when the change was written
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record StoredRecord(String db, String store, JsonNode key, Op op, ObjectNode value, long version,
                           String clientId, long seq, long ts, long serverTs) {

    public String toJson() {
        try {
            return Json.MAPPER.writeValueAsString(this);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static StoredRecord fromJson(String json) {
        try {
            return Json.MAPPER.readValue(json, StoredRecord.class);
        } catch (IOException e) {
            throw new UncheckedIOException("a record in Ignite is not in idbsync's format: " + json, e);
        }
    }

    public boolean deleted() {
        return op == Op.DELETE;
    }
}
