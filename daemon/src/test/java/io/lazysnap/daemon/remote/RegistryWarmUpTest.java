package io.lazysnap.daemon.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.registry.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryWarmUpTest {

    @TempDir
    Path dir;

    @Test
    void pullsTheTestImageThroughBothLayerPathsAndLeavesNothingBehind() throws IOException {
        Path scratch = dir.resolve("warm-up");

        Files.createDirectories(scratch.resolve("fs")); // left by a start-up that was stopped half-way

        assertEquals(Optional.empty(), RegistryWarmUp.run(HostPlatform.get(), scratch, true));
        assertFalse(Files.exists(scratch), "the spool and the unpacked tree are deleted, with their directory");
    }

    @Test
    void namesWhatFailedWhenTheLayerCannotBeUnpacked() throws IOException {
        Path underAFile = Files.writeString(dir.resolve("file"), "").resolve("warm-up");

        Optional<String> failed = RegistryWarmUp.run(HostPlatform.get(), underAFile, true);

        assertTrue(failed.orElseThrow().contains(underAFile.toString()), failed.get());
    }

    @Test
    void theTestImageIsBuiltForThePlatformAskedFor() {
        Optional<String> failed = RegistryWarmUp.run(Platform.of("plan9", "mips", ""), dir, false);

        assertTrue(failed.isEmpty(), failed.toString());
    }
}
