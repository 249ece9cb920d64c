package io.lazysnap.daemon;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** An invalid signature policy stops the daemon at start, naming the file and line, before it serves anything. */
class PolicyStartupTest {

    @TempDir
    Path tmp;

    @Test
    void anInvalidPolicyStopsTheDaemonNamingTheLine() throws IOException {
        Path policy = Files.writeString(tmp.resolve("policy.toml"), """
                [[rule]]
                match = ["registry.example.com/**"]
                mode = "enforcing"
                """);
        Path config = Files.writeString(tmp.resolve("config.toml"), "policy = \"" + policy + "\"\n");
        DaemonConfig settings = DaemonConfig.load(config).withOverrides(tmp.resolve("root"), tmp.resolve("s.sock"));
        IOException e = assertThrows(IOException.class, () -> Daemon.start(settings));
        assertTrue(e.getMessage().contains("policy.toml:3"), e.getMessage());
        assertTrue(e.getMessage().contains("enforcing"), e.getMessage());
        assertTrue(Files.notExists(tmp.resolve("s.sock")), "nothing is served with a broken policy");
    }
}
