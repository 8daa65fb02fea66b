package dev.idbsync.resolve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.idbsync.protocol.Change;
import dev.idbsync.protocol.Json;
import dev.idbsync.protocol.Keys;
import dev.idbsync.protocol.Op;
import dev.idbsync.protocol.Result;
import dev.idbsync.protocol.Status;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * PROTOCOL.md's conflict vectors ({@code shared/vectors/conflicts.json}), every case run through
 * the {@link Resolver} with the case's policy, each step against the state the previous left.
 *
 * <p>The vectors are read from this module's test resources (a copy, so the tests never depend on
 * where the shared directory is checked out); {@link #copyMatchesShared} fails when the copy
 * falls behind the shared file.
 */
class ConflictVectorsTest {
    private static final String RESOURCE = "/vectors/conflicts.json";
    /** Where the shared file may be, relative to the module directory surefire runs in. */
    private static final List<Path> SHARED = List.of(
            Path.of("..", "..", "shared", "vectors", "conflicts.json"),
            Path.of("..", "shared", "vectors", "conflicts.json"));

    private static Optional<Path> sharedFile() {
        return SHARED.stream().filter(Files::isRegularFile).findFirst();
    }

    private static JsonNode vectors() {
        try (InputStream in = ConflictVectorsTest.class.getResourceAsStream(RESOURCE)) {
            if (in != null) {
                return Json.MAPPER.readTree(in);
            }
            Path p = sharedFile().orElseThrow(() -> new AssertionError("conflict vectors not found: neither "
                    + RESOURCE + " on the test classpath nor any of " + SHARED + " (from "
                    + Path.of("").toAbsolutePath() + ")"));
            return Json.MAPPER.readTree(p.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void copyMatchesShared() throws IOException {
        Optional<Path> shared = sharedFile();
        assumeTrue(shared.isPresent(), "shared/vectors/conflicts.json is not checked out beside this repository");
        try (InputStream in = ConflictVectorsTest.class.getResourceAsStream(RESOURCE)) {
            assertNotNull(in, RESOURCE + " is missing from src/test/resources");
            assertEquals(Json.MAPPER.readTree(shared.get().toFile()), Json.MAPPER.readTree(in),
                    "src/test/resources" + RESOURCE + " differs from " + shared.get().toAbsolutePath().normalize()
                            + "; copy the shared file over it");
        }
    }

    @Test
    void everyCaseIsThere() {
        JsonNode cases = vectors().get("cases");
        assertTrue(cases.isArray() && cases.size() >= 14, "expected the 14 or more cases, got " + cases);
    }

    @TestFactory
    Stream<DynamicTest> conflictVectors() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode c : vectors().get("cases")) {
            String name = c.get("name").asText();
            String policy = c.get("policy").asText();
            tests.add(DynamicTest.dynamicTest(policy + ": " + name, () -> run(policy, c.get("steps"))));
        }
        return tests.stream();
    }

    private static void run(String policy, JsonNode steps) {
        Fixture.Server server = new Fixture.Server(policy);
        int i = 0;
        for (JsonNode step : steps) {
            i++;
            Change change = change(step);
            Decision d = server.push(change);
            check("step " + i + " (" + change.clientId() + "/" + change.seq() + ")", policy, step.get("expect"), d);
        }
    }

    private static Change change(JsonNode step) {
        JsonNode c = step.get("change");
        JsonNode key = c.get("key");
        Op op = Op.fromWire(c.get("op").asText());
        JsonNode value = c.get("value");
        List<String> fields = null;
        if (c.hasNonNull("fields")) {
            fields = new ArrayList<>();
            for (JsonNode f : c.get("fields")) {
                fields.add(f.asText());
            }
        }
        return new Change(Fixture.DB, step.get("clientId").asText(), c.get("seq").asLong(), c.get("store").asText(),
                key, Keys.canonical(key), op, value == null || value.isNull() ? null : (ObjectNode) value,
                c.get("baseVersion").asLong(), c.get("ts").asLong(), fields,
                step.get("sentAt").asLong(), step.get("recvAt").asLong());
    }

    private static void check(String where, String policy, JsonNode expect, Decision d) {
        Result r = d.result();
        String got = where + ": got " + r;
        assertEquals(Status.fromWire(expect.get("status").asText()), r.status(), got);
        if (expect.has("version")) {
            assertEquals(expect.get("version").asLong(), r.version(), got);
        } else {
            assertNull(r.version(), got);
        }
        if (expect.has("value")) {
            assertEquals(expect.get("value"), r.value(), got);
        } else {
            assertNull(r.value(), got);
        }
        if (expect.has("error")) {
            assertNotNull(r.error(), got);
            assertEquals(expect.get("error").get("code").asText(), r.error().code(), got);
        } else {
            assertNull(r.error(), got);
        }
        switch (r.status()) {
            case CONFLICT -> assertEquals(policy, r.policy(), got);
            case APPLIED -> {
                assertNull(r.policy(), got);
                assertNotNull(d.next(), where + ": an applied change at a new version must leave a new state");
            }
            case REJECTED -> assertNull(d.next(), where + ": a rejected change must leave the record as it was");
            default -> assertFalse(true, got);
        }
        if (d.next() != null) {
            assertEquals(r.version(), d.next().version(), where + ": the new state's version");
        }
    }
}
