package dev.idbsync.resolve;

import dev.idbsync.protocol.Result;

/**
 * The resolver's verdict on one change: the result the client gets, and the record's new state
 * when the change made a new version (null when it made none: a lost conflict, a merge that
 * changed nothing, a rejection).
 */
public record Decision(Result result, RecordState next) {
}
