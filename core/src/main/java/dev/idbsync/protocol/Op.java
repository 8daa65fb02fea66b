package dev.idbsync.protocol;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** What a change does to its record. */
public enum Op {
    PUT("put"), DELETE("delete");

    private final String wire;

    Op(String wire) {
        this.wire = wire;
    }

    @JsonValue
    public String wire() {
        return wire;
    }

    /** The op for its wire name, or null when there is none. */
    @JsonCreator
    public static Op fromWire(String s) {
        for (Op op : values()) {
            if (op.wire.equals(s)) {
                return op;
            }
        }
        return null;
    }
}
