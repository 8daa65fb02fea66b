package dev.idbsync.resolve.testpolicies;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.resolve.Conflict;
import dev.idbsync.resolve.ConflictPolicy;
import dev.idbsync.resolve.LastWriterWins;
import dev.idbsync.resolve.Resolution;

/**
 * The worked example of docs/conflicts.md (there in package com.example; keep the two alike):
 * last writer wins, except that a note ticked off ({@code "done": true}) on either side stays
 * done.
 */
public final class DoneSticks implements ConflictPolicy {
    private final LastWriterWins lww = new LastWriterWins();

    @Override
    public Resolution resolve(Conflict conflict) {
        Resolution byTime = lww.resolve(conflict);
        ObjectNode stored = conflict.stored().value();  // null when the record is deleted
        ObjectNode mine = conflict.change().value();    // null for a delete
        if (stored == null || mine == null) {
            return byTime;                               // deletes: plain last writer wins
        }
        boolean changeWins = byTime instanceof Resolution.ApplyChange;
        ObjectNode result = (changeWins ? mine : stored).deepCopy();
        if (isDone(stored) || isDone(mine)) {
            result.put("done", true);
        }
        return Resolution.store(result);
    }

    private static boolean isDone(ObjectNode note) {
        return note.path("done").asBoolean(false);
    }
}
