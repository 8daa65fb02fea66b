package dev.idbsync.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The parent pom splits the tests two ways at once: by name (surefire runs {@code *Test}, failsafe
 * {@code *IT}, their default includes) and by tag (surefire excludes {@code integration},
 * failsafe runs only it). This keeps the two in step over every module's test sources, so that
 * no test class falls between the plugins and silently stops running.
 */
class IntegrationTagTest {
    /** The repository; surefire runs in the module directory. */
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern HAS_TESTS = Pattern.compile(
            "@(Test|ParameterizedTest|RepeatedTest|TestFactory|TestTemplate|ArchTest)\\b");
    private static final String TAG = "@Tag(\"integration\")";

    /** failsafe's default includes: IT*, *IT, *ITCase. */
    private static boolean failsafeName(String name) {
        return name.startsWith("IT") || name.endsWith("IT") || name.endsWith("ITCase");
    }

    /** surefire's default includes: Test*, *Test, *Tests, *TestCase. */
    private static boolean surefireName(String name) {
        return name.startsWith("Test") || name.endsWith("Test") || name.endsWith("Tests") || name.endsWith("TestCase");
    }

    private static List<Path> testSources() throws IOException {
        Set<String> skipped = Set.of("target", "node_modules", ".git", "data", "client");
        List<Path> out = new ArrayList<>();
        Files.walkFileTree(REPO, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return skipped.contains(dir.getFileName().toString()) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                String p = REPO.relativize(file).toString().replace('\\', '/');
                if (p.contains("/src/test/java/") && p.endsWith(".java")) {
                    out.add(file);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return out;
    }

    @Test
    void everyItIsTaggedIntegrationAndEveryTaggedClassIsAnIt() throws IOException {
        List<String> wrong = new ArrayList<>();
        List<Path> sources = testSources();
        assertTrue(sources.size() > 20, "found the test sources of every module: " + sources.size());
        for (Path f : sources) {
            String name = f.getFileName().toString().replace(".java", "");
            String text = Files.readString(f, StandardCharsets.UTF_8);
            boolean tagged = text.contains(TAG);
            boolean hasTests = HAS_TESTS.matcher(text).find();
            if (hasTests && tagged != failsafeName(name)) {
                wrong.add(REPO.relativize(f) + (tagged ? ": tagged integration but not named *IT (failsafe would skip it)"
                        : ": named *IT but not tagged " + TAG + " (failsafe would skip it)"));
            } else if (hasTests && !tagged && !surefireName(name)) {
                wrong.add(REPO.relativize(f) + ": has tests but is named neither *Test nor *IT (nothing runs it)");
            }
        }
        assertEquals(List.of(), wrong);
    }
}
