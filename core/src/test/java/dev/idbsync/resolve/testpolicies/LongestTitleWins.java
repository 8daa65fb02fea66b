package dev.idbsync.resolve.testpolicies;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.resolve.Conflict;
import dev.idbsync.resolve.ConflictPolicy;
import dev.idbsync.resolve.Resolution;

/**
 * A custom policy for the tests: whichever value has the longer {@code title} (in code points)
 * wins; a deleted record or a delete has no title (shorter than any); ties keep the stored record.
 */
public final class LongestTitleWins implements ConflictPolicy {
    @Override
    public Resolution resolve(Conflict conflict) {
        int mine = titleLength(conflict.change().value());
        int stored = titleLength(conflict.stored().deleted() ? null : conflict.stored().value());
        return mine > stored ? Resolution.applyChange() : Resolution.keepStored();
    }

    private static int titleLength(ObjectNode value) {
        JsonNode title = value == null ? null : value.get("title");
        if (title == null || !title.isTextual()) {
            return -1;
        }
        return title.asText().codePointCount(0, title.asText().length());
    }
}
