package dev.idbsync.resolve;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** What a {@link ConflictPolicy} decided. */
public sealed interface Resolution {
    /** The stored record stays as it is; the client gets {@code conflict} with the stored value. */
    static Resolution keepStored() {
        return KeepStored.INSTANCE;
    }

    /** The change is applied as if there were no conflict; the client gets {@code applied}. */
    static Resolution applyChange() {
        return ApplyChange.INSTANCE;
    }

    /**
     * This value becomes the record's new version (unless it equals the stored value, which
     * makes no new version); the client gets {@code applied} when it equals the change's own
     * value, else {@code conflict} with it.
     */
    static Resolution store(ObjectNode value) {
        return new StoreValue(value);
    }

    enum KeepStored implements Resolution { INSTANCE }

    enum ApplyChange implements Resolution { INSTANCE }

    record StoreValue(ObjectNode value) implements Resolution {
        public StoreValue {
            if (value == null) {
                throw new IllegalArgumentException("a policy that stores a value must give one; use keepStored() or applyChange()");
            }
        }
    }
}
