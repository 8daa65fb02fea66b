package dev.idbsync.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;

/**
 * One entry of a push's {@code results}: the final outcome of one change. Fields that do not
 * apply to a status are null and left out of the JSON.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Result(long seq, Status status, Long version, JsonNode value, String policy,
                     ChangeError error, Status first, Long expectedSeq) {

    public static Result applied(long seq, long version) {
        return new Result(seq, Status.APPLIED, version, null, null, null, null, null);
    }

    public static Result rejected(long seq, ChangeError error) {
        return new Result(seq, Status.REJECTED, null, null, null, error, null, null);
    }

    /**
     * The record was changed by someone else since the change's baseVersion and the store's
     * policy kept or built another value: {@code version} and {@code value} are what the client
     * must store ({@code value} null, and so left out, when the record is now deleted).
     */
    public static Result conflict(long seq, long version, JsonNode value, String policy) {
        return new Result(seq, Status.CONFLICT, version, value, policy, null, null, null);
    }
}
