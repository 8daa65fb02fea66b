package dev.idbsync.protocol;

import java.util.List;

/** A push whose envelope passed every structural rule of PROTOCOL.md. */
public record PushRequest(String db, String clientId, long sentAt, long receivedAt, List<Change> changes) {
}
