package dev.idbsync.bench;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;

/**
 * The bare ceiling: Undertow reads the push, Jackson parses it, and the answer (one
 * {@code applied} result per change, the size of a real answer) goes back from the I/O thread.
 * No checks, no store, no disk: what HTTP and JSON alone cost on this machine.
 */
final class BareServer {
    private static final ObjectMapper JSON = new ObjectMapper();

    private BareServer() {
    }

    static AutoCloseable start(Map<String, String> opts) {
        int port = Integer.parseInt(opts.get("port"));
        Undertow undertow = Undertow.builder()
                .addHttpListener(port, "127.0.0.1")
                .setIoThreads(Math.max(2, Runtime.getRuntime().availableProcessors()))
                .setHandler(BareServer::handle)
                .build();
        undertow.start();
        return undertow::stop;
    }

    private static void handle(HttpServerExchange ex) {
        ex.getRequestReceiver().receiveFullBytes((e, body) -> {
            try {
                JsonNode root = JSON.readTree(body);
                JsonNode changes = root.get("changes");
                ByteArrayOutputStream out = new ByteArrayOutputStream(64 + 48 * changes.size());
                try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
                    g.writeStartObject();
                    g.writeArrayFieldStart("results");
                    for (JsonNode c : changes) {
                        g.writeStartObject();
                        g.writeNumberField("seq", c.get("seq").asLong());
                        g.writeStringField("status", "applied");
                        g.writeNumberField("version", 1);
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                    g.writeEndObject();
                }
                e.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
                e.getResponseSender().send(ByteBuffer.wrap(out.toByteArray()));
            } catch (IOException | RuntimeException x) {
                e.setStatusCode(400);
                e.getResponseSender().send("{\"error\":{\"code\":\"bad_json\",\"message\":\"" + x.getClass().getSimpleName() + "\"}}");
            }
        });
    }
}
