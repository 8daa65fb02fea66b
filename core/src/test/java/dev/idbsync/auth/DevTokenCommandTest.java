package dev.idbsync.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * docs/auth.md's one-line development token, run as a reader would run it (bash and Node 20, the
 * machines this project targets), must give a token that {@link JwtAuthenticator} accepts with
 * the grants the page promises.
 */
class DevTokenCommandTest {
    private static final Path DOC = Path.of("..", "docs", "auth.md").toAbsolutePath().normalize();

    @Test
    void theDocumentedNodeOneLinerMintsATokenTheServerAccepts() throws Exception {
        assumeTrue(nodeRuns(), "node is not on PATH");
        String line = Files.readAllLines(DOC).stream().filter(l -> l.startsWith("TOKEN=$(node -e ")).findFirst()
                .orElseThrow(() -> new AssertionError("docs/auth.md has no line starting TOKEN=$(node -e"));
        String secret = "dGVzdC1zZWNyZXQtZm9yLXRoZS1kb2NzLW9uZS1saW5lcg==";
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", line + "\nprintf %s \"$TOKEN\"").redirectErrorStream(true);
        pb.environment().put("IDBSYNC_JWT_SECRET", secret);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS), "the command did not finish");
        assertEquals(0, p.exitValue(), out);

        Authenticator a = JwtAuthenticator.hs256(secret.getBytes(StandardCharsets.UTF_8), null, null, "scope", 60);
        Principal who = a.authenticate("Bearer " + out);
        assertEquals("alice", who.user());
        assertTrue(who.canWrite("notes-app") && who.canRead("notes-app"), who.toString());

        AuthException wrongSecret = org.junit.jupiter.api.Assertions.assertThrows(AuthException.class,
                () -> JwtAuthenticator.hs256("another-secret-of-at-least-32-bytes!!".getBytes(StandardCharsets.UTF_8),
                        null, null, "scope", 60).authenticate("Bearer " + out));
        assertTrue(wrongSecret.getMessage().contains("bad signature"), wrongSecret.getMessage());
    }

    private static boolean nodeRuns() {
        try {
            Process p = new ProcessBuilder("node", "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
