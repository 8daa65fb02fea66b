package dev.idbsync.resolve;

import static dev.idbsync.resolve.Fixture.obj;
import static dev.idbsync.resolve.Fixture.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.idbsync.protocol.Result;
import dev.idbsync.resolve.testpolicies.DoneSticks;
import dev.idbsync.resolve.testpolicies.LongestTitleWins;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class ConflictPoliciesTest {
    private static final ClassLoader LOADER = ConflictPoliciesTest.class.getClassLoader();
    private static final String PKG = "dev.idbsync.resolve.testpolicies.";

    static Stream<Arguments> builtIns() {
        return Stream.of(
                Arguments.of("lww", LastWriterWins.class),
                Arguments.of("server-wins", ServerWins.class),
                Arguments.of("client-wins", ClientWins.class),
                Arguments.of("merge", FieldMerge.class));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("builtIns")
    void builtIn(String name, Class<?> type) {
        ConflictPolicy p = ConflictPolicies.forName(name, LOADER);
        assertInstanceOf(type, p);
        assertEquals(name, p.toString());
        assertTrue(ConflictPolicies.BUILT_IN.contains(name));
    }

    @Test
    void builtInsNeedNoClassLoader() {
        assertInstanceOf(LastWriterWins.class, ConflictPolicies.forName("lww", null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"LWW", "last-writer-wins", "", "custom", "Custom:com.x.Y", " lww"})
    void unknownNames(String name) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConflictPolicies.forName(name, LOADER));
        assertTrue(e.getMessage().contains("\"" + name + "\"") && e.getMessage().contains("custom:<"), e.getMessage());
    }

    @Test
    void noName() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConflictPolicies.forName(null, LOADER));
        assertTrue(e.getMessage().contains("lww"), e.getMessage());
    }

    @Test
    void customWithoutAClass() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConflictPolicies.forName("custom:", LOADER));
        assertTrue(e.getMessage().contains("names no class"), e.getMessage());
    }

    @Test
    void customIsLoadedAndMadeAnewEachTime() {
        ConflictPolicy one = ConflictPolicies.forName("custom:" + PKG + "LongestTitleWins", LOADER);
        ConflictPolicy two = ConflictPolicies.forName("custom:" + PKG + "LongestTitleWins", LOADER);
        assertInstanceOf(LongestTitleWins.class, one);
        assertNotSame(one, two);
        assertInstanceOf(ConflictPolicies.forName("custom:" + PKG + "Policies$Nested", LOADER).getClass(),
                new dev.idbsync.resolve.testpolicies.Policies.Nested());
    }

    @Test
    void customIsLoadedWithTheGivenLoader() {
        List<String> asked = new ArrayList<>();
        ClassLoader recording = new ClassLoader(LOADER) {
            @Override
            protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
                asked.add(name);
                return super.loadClass(name, resolve);
            }
        };
        ConflictPolicies.forName("custom:" + PKG + "LongestTitleWins", recording);
        assertTrue(asked.contains(PKG + "LongestTitleWins"), asked.toString());
    }

    @Test
    void customPolicyDecidesThroughTheResolver() {
        String name = "custom:" + PKG + "LongestTitleWins";
        Fixture.Server server = new Fixture.Server(name);
        assertEquals(Result.applied(1, 1), server.push(put("a", 1, 0, 1000, "{\"title\":\"short\"}")).result());
        // b's title is longer: applied, though its ts is earlier
        assertEquals(Result.applied(1, 2), server.push(put("b", 1, 0, 10, "{\"title\":\"much longer\"}")).result());
        // c's is shorter: conflict with the stored value, and the policy named as configured
        assertEquals(Result.conflict(1, 2, obj("{\"title\":\"much longer\"}"), name),
                server.push(put("c", 1, 0, 9000, "{\"title\":\"x\"}")).result());
        // a tie keeps the stored record
        assertEquals(Result.conflict(1, 2, obj("{\"title\":\"much longer\"}"), name),
                server.push(put("d", 1, 0, 9000, "{\"title\":\"MUCH LONGER\"}")).result());
        // a delete has no title and loses
        assertEquals(Result.conflict(1, 2, obj("{\"title\":\"much longer\"}"), name),
                server.push(Fixture.delete("e", 1, 0, 9000)).result());
    }

    @Test
    void theDocumentedExampleKeepsDoneNotes() {
        String name = "custom:" + PKG + "DoneSticks";
        assertInstanceOf(DoneSticks.class, ConflictPolicies.forName(name, LOADER));
        Fixture.Server server = new Fixture.Server(name);
        server.push(put("phone", 1, 0, 1000, "{\"title\":\"Buy milk\",\"done\":false}"));
        // the laptop ticks it off
        assertEquals(Result.applied(1, 2),
                server.push(put("laptop", 1, 1, 2000, "{\"title\":\"Buy milk\",\"done\":true}")).result());
        // the phone, offline, renamed it later: its title wins, and the note stays done
        assertEquals(Result.conflict(2, 3, obj("{\"title\":\"Buy oat milk\",\"done\":true}"), name),
                server.push(put("phone", 2, 1, 3000, "{\"title\":\"Buy oat milk\",\"done\":false}")).result());
        // an older edit that is done already: the stored title stays, no new version
        assertEquals(Result.conflict(1, 3, obj("{\"title\":\"Buy oat milk\",\"done\":true}"), name),
                server.push(put("tablet", 1, 1, 1500, "{\"title\":\"Milk\",\"done\":true}")).result());
        // deletes are plain lww
        assertEquals(Result.applied(2, 4), server.push(Fixture.delete("tablet", 2, 1, 4000)).result());
    }

    static Stream<Arguments> unusable() {
        return Stream.of(
                Arguments.of("com.example.Missing", "class com.example.Missing not found"),
                Arguments.of(PKG + "NotAPolicy", "class " + PKG + "NotAPolicy does not implement "
                        + "dev.idbsync.resolve.ConflictPolicy"),
                Arguments.of(PKG + "NoNoArgConstructor", "class " + PKG
                        + "NoNoArgConstructor has no public no-argument constructor"),
                Arguments.of(PKG + "PrivateConstructor", "class " + PKG
                        + "PrivateConstructor has no public no-argument constructor"),
                Arguments.of(PKG + "ThrowingConstructor", "class " + PKG + "ThrowingConstructor: its constructor"
                        + " threw java.lang.IllegalStateException: missing setting policy.threshold"),
                Arguments.of(PKG + "Policies$Abstract", "is abstract"),
                Arguments.of(PKG + "Policies$NotPublic", "is not public"),
                Arguments.of(PKG + "Policies$Inner", "is an inner class"),
                Arguments.of("dev.idbsync.resolve.ConflictPolicy", "is abstract"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unusable")
    void unusableCustomClass(String className, String expected) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConflictPolicies.forName("custom:" + className, LOADER));
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().contains(className), e.getMessage());
    }

    @Test
    void theConstructorsExceptionIsTheCause() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ConflictPolicies.forName("custom:" + PKG + "ThrowingConstructor", LOADER));
        assertInstanceOf(IllegalStateException.class, e.getCause());
    }

    @Test
    void builtInsAreStatelessAndDeterministic() {
        for (String name : ConflictPolicies.BUILT_IN) {
            ConflictPolicy p = ConflictPolicies.forName(name, LOADER);
            Fixture.Server server = new Fixture.Server(name, p);
            server.push(put("a", 1, 0, 1000, "{\"title\":\"t\",\"done\":false}"));
            Conflict c = new Conflict(put("b", 1, 0, 900, "{\"title\":\"b\",\"done\":true}").fields("done").build(),
                    Fixture.T0 + 900, server.record(), server.record().history());
            Resolution first = p.resolve(c);
            for (int i = 0; i < 3; i++) {
                assertEquals(first, p.resolve(c), name);
                assertEquals(first, ConflictPolicies.forName(name, LOADER).resolve(c), name);
            }
        }
        assertSame(Resolution.keepStored(), new ServerWins().resolve(null));
    }
}
