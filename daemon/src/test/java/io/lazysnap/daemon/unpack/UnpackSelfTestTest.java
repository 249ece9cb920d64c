package io.lazysnap.daemon.unpack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UnpackSelfTestTest {

    @TempDir
    Path tmp;

    @Test
    void passesAsRootAndLeavesNothing() {
        assertEquals(Optional.empty(), UnpackSelfTest.run(tmp.resolve("unpack/self-test")));
        assertFalse(Files.exists(tmp.resolve("unpack/self-test")));
    }

    @Test
    void saysWhatFailed() throws IOException {
        Files.writeString(tmp.resolve("unpack"), "a file where the directory should be");
        Optional<String> failure = UnpackSelfTest.run(tmp.resolve("unpack/self-test"));
        assertTrue(failure.orElseThrow().contains("unpack"), failure.get());
    }
}
