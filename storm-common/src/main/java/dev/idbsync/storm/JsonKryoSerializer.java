package dev.idbsync.storm;

import com.esotericsoftware.kryo.Kryo;
import com.esotericsoftware.kryo.Serializer;
import com.esotericsoftware.kryo.io.Input;
import com.esotericsoftware.kryo.io.Output;
import dev.idbsync.protocol.Json;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Sends a protocol value ({@code Change}, {@code Result}, {@code SinkEvent}) or a Jackson tree
 * ({@code ObjectNode}, the rejected-changes log entry) between workers as its JSON. The values
 * hold Jackson trees, which Kryo's field serializer cannot copy safely; JSON is also what a
 * person reads in a dump. Registered for each of those types by the topology.
 */
public final class JsonKryoSerializer<T> extends Serializer<T> {
    public JsonKryoSerializer() {
        setImmutable(true);
    }

    @Override
    public void write(Kryo kryo, Output output, T object) {
        try {
            byte[] bytes = Json.MAPPER.writeValueAsBytes(object);
            output.writeVarInt(bytes.length, true);
            output.writeBytes(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public T read(Kryo kryo, Input input, Class<? extends T> type) {
        int n = input.readVarInt(true);
        try {
            return Json.MAPPER.readValue(input.readBytes(n), type);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
