package dev.idbsync.spout;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SyncHttpServerTest {
    @ParameterizedTest
    @ValueSource(strings = {"application/json", "application/json; charset=utf-8", "Application/JSON;charset=\"UTF-8\"",
            "application/json ; charset=utf-8"})
    void jsonInUtf8IsAccepted(String contentType) {
        assertNull(SyncHttpServer.contentTypeProblem(contentType));
    }

    @ParameterizedTest
    @ValueSource(strings = {"text/plain", "application/x-www-form-urlencoded", "application/jsonp",
            "application/json; charset=latin1", "multipart/form-data; boundary=x"})
    void anythingElseIsRefusedNamingWhatWasSent(String contentType) {
        String problem = SyncHttpServer.contentTypeProblem(contentType);
        assertNotNull(problem);
        assertTrue(problem.contains(contentType), problem);
    }

    @org.junit.jupiter.api.Test
    void aMissingContentTypeIsRefused() {
        assertTrue(SyncHttpServer.contentTypeProblem(null).contains("no Content-Type"));
    }
}
