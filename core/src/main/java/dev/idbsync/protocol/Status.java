package dev.idbsync.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** A change's outcome, as PROTOCOL.md names them. */
public enum Status {
    APPLIED("applied"), CONFLICT("conflict"), REJECTED("rejected"), DUPLICATE("duplicate"),
    OUT_OF_ORDER("out_of_order"), PENDING("pending");

    private final String wire;

    Status(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }

    @JsonCreator
    public static Status fromWire(String s) {
        for (Status st : values()) {
            if (st.wire.equals(s)) {
                return st;
            }
        }
        throw new IllegalArgumentException("unknown status '" + s + "'");
    }
}
