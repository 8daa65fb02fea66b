package dev.idbsync.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The JVM flags Ignite needs on Java 17 have one source, {@code conf/jvm/ignite.args}. What reads
 * it (the test JVMs through the parent pom's argLine, {@code ./run-local}, {@code ./bench/run})
 * passes the file itself; the copies that cannot (a cluster worker's childopts, the docs) must
 * match it flag for flag.
 */
class IgniteJvmArgsTest {
    /** The repository; surefire runs in the module directory. */
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final String FLAG = "--add-opens=";
    /** The only files that may spell the flags out; everything else must name conf/jvm/ignite.args. */
    private static final Set<String> COPIES = Set.of("conf/jvm/ignite.args", "conf/cluster.yaml",
            "docs/ignite.md", "docs/architecture.md");

    private static List<String> theFile() throws IOException {
        List<String> flags = Files.readAllLines(REPO.resolve("conf/jvm/ignite.args"), StandardCharsets.UTF_8).stream()
                .map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        assertFalse(flags.isEmpty());
        for (String f : flags) {
            assertTrue(f.matches("--add-opens=[\\w.]+/[\\w.]+=ALL-UNNAMED"), "one --add-opens flag a line: " + f);
        }
        assertEquals(flags.size(), new HashSet<>(flags).size(), "a flag given twice in conf/jvm/ignite.args");
        return flags;
    }

    @Test
    void clusterWorkersGetExactlyTheFlagsOfTheFile() throws IOException {
        String childopts = (String) ConfigLoader.load(REPO.resolve("conf/cluster.yaml")).topology().stormConfig()
                .get("topology.worker.childopts");
        List<String> flags = Arrays.stream(childopts.trim().split("\\s+")).filter(t -> t.startsWith(FLAG)).toList();
        assertEquals(theFile(), flags, "topology.worker.childopts in conf/cluster.yaml must list conf/jvm/ignite.args,"
                + " in its order");
    }

    @Test
    void theDocsListExactlyTheFlagsOfTheFile() throws IOException {
        List<String> inDocs = Files.readAllLines(REPO.resolve("docs/ignite.md"), StandardCharsets.UTF_8).stream()
                .map(String::strip).filter(l -> l.startsWith(FLAG)).toList();
        assertEquals(theFile(), inDocs, "docs/ignite.md must list conf/jvm/ignite.args, in its order");
        // docs/architecture.md shows the start of the childopts and "...the rest of conf/jvm/ignite.args..."
        for (String l : Files.readAllLines(REPO.resolve("docs/architecture.md"), StandardCharsets.UTF_8)) {
            if (l.strip().startsWith(FLAG)) {
                assertTrue(theFile().contains(l.strip()), "docs/architecture.md shows a flag not in the file: " + l);
            }
        }
    }

    /** The parent pom's argLine passes @conf/jvm/ignite.args: this JVM must have been started with it. */
    @Test
    void thisTestJvmWasStartedWithTheFile() throws IOException {
        for (String f : theFile()) {
            String[] moduleAndPackage = f.substring(FLAG.length(), f.lastIndexOf('=')).split("/");
            Module m = ModuleLayer.boot().findModule(moduleAndPackage[0]).orElse(null);
            if (m == null) {
                continue; // e.g. java.desktop in a JDK without it: nothing to open
            }
            assertTrue(m.isOpen(moduleAndPackage[1], getClass().getModule()), f + " is missing in this JVM: the parent"
                    + " pom's argLine (test.jvm.args) passes @conf/jvm/ignite.args; an IDE must pass it as well");
        }
    }

    /** Main code, build files, scripts, conf and docs; tests (which check the flags) and build output aside. */
    @Test
    void noOtherFileSpellsTheFlagsOut() throws IOException {
        Set<String> skipped = Set.of("target", "node_modules", ".git", "data", "results", "test");
        List<String> offenders = new ArrayList<>();
        Files.walkFileTree(REPO, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                return skipped.contains(dir.getFileName().toString()) ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                String name = REPO.relativize(file).toString();
                if (!COPIES.contains(name) && attrs.size() < 2_000_000
                        && Files.readString(file, StandardCharsets.ISO_8859_1).contains(FLAG)) {
                    offenders.add(name);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        assertEquals(List.of(), offenders, "these files spell out " + FLAG + " flags; pass @conf/jvm/ignite.args"
                + " instead (or, where a file cannot be passed, add a copy to COPIES and check it here)");
    }
}
