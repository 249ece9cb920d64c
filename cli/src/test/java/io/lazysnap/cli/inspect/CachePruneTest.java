package io.lazysnap.cli.inspect;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.daemon.Daemon;
import io.lazysnap.daemon.DaemonConfig;
import io.lazysnap.cli.Main;
import io.lazysnap.daemon.root.Root;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code lazysnap cache prune} is refused while a daemon serves the root, and empties the cache once it stopped. */
class CachePruneTest {

    @TempDir
    Path tmp;

    private int prune(Path root) {
        return new CommandLine(new Main()).execute("cache", "prune", "--root", root.toString());
    }

    @Test
    void prunesOnlyWhenNoDaemonServesTheRoot() throws IOException {
        Path root = tmp.resolve("root");
        Path chunk;
        try (Daemon daemon = Daemon.start(DaemonConfig.at(root, tmp.resolve("a.sock")))) {
            chunk = Files.write(Files.createDirectories(new Root(root).cache().resolve("chunks/ab")).resolve("ab12"), new byte[100]);
            assertEquals(1, prune(root), "refused while the daemon runs");
            assertTrue(Files.exists(chunk));
            IOException second = assertThrows(IOException.class,
                    () -> Daemon.start(DaemonConfig.at(root, tmp.resolve("b.sock"))));
            assertTrue(second.getMessage().contains("another lazysnap serves"), second.getMessage());
        }
        assertEquals(0, prune(root));
        assertFalse(Files.exists(chunk));
        assertTrue(Files.isDirectory(new Root(root).cache()), "the cache directory itself stays");
        assertEquals(new CachePrune.Freed(0, 0), CachePrune.prune(new Root(root)).orElseThrow(), "nothing left to free");
    }
}
