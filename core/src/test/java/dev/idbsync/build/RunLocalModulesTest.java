package dev.idbsync.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * ./run-local puts each module's target/classes on the classpath, from a list of module
 * directories in the script. The poms are the source of that list: topology and every idbsync
 * module it depends on, directly or not (test scope aside). When the modules were regrouped the
 * script kept the old names, and the local run could not find its own classes.
 */
class RunLocalModulesTest {
    /** The repository; surefire runs in the module directory. */
    private static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern DEPENDENCY = Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL);
    private static final Pattern IDBSYNC = Pattern.compile(
            "<groupId>dev\\.idbsync</groupId>\\s*<artifactId>idbsync-([a-z-]+)</artifactId>");

    @Test
    void runLocalListsTopologyAndEveryModuleItDependsOn() throws IOException {
        Set<String> needed = new TreeSet<>();
        Deque<String> todo = new ArrayDeque<>(Set.of("topology"));
        while (!todo.isEmpty()) {
            String module = todo.pop();
            if (!needed.add(module)) {
                continue;
            }
            Path pom = REPO.resolve(module).resolve("pom.xml");
            assertTrue(Files.isRegularFile(pom), "module idbsync-" + module + " is expected in " + module + "/");
            // the <dependencies> of the module, not its <dependencyManagement> (it has none) or plugins
            Matcher d = DEPENDENCY.matcher(Files.readString(pom, StandardCharsets.UTF_8));
            while (d.find()) {
                Matcher id = IDBSYNC.matcher(d.group(1));
                if (id.find() && !d.group(1).contains("<scope>test</scope>")) {
                    todo.push(id.group(1));
                }
            }
        }
        Matcher listed = Pattern.compile("(?m)^modules=\"([^\"]*)\"").matcher(
                Files.readString(REPO.resolve("run-local"), StandardCharsets.UTF_8));
        assertTrue(listed.find(), "run-local has a line modules=\"...\"");
        assertEquals(needed, new TreeSet<>(Arrays.asList(listed.group(1).trim().split("\\s+"))),
                "run-local's modules= must list topology and the idbsync modules it depends on");
    }
}
