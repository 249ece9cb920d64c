package io.lazysnap.daemon.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.registry.Platform;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryWarmUpTest {

    @TempDir
    Path dir;

    @Test
    void pullsTheTestImageThroughBothLayerPathsAndLeavesNothingBehind() throws IOException {
        Path scratch = dir.resolve("warm-up");

        assertEquals(Optional.empty(), RegistryWarmUp.run(HostPlatform.get(), scratch, true));
        try (Stream<Path> left = Files.list(scratch)) {
            assertEquals(0, left.count(), "the spool and unpacked tree are deleted");
        }
    }

    @Test
    void namesWhatFailedWhenTheLayerCannotBeUnpacked() throws IOException {
        Path notADirectory = Files.writeString(dir.resolve("file"), "");

        Optional<String> failed = RegistryWarmUp.run(HostPlatform.get(), notADirectory, true);

        assertTrue(failed.orElseThrow().contains(notADirectory.toString()), failed.get());
    }

    @Test
    void theTestImageIsBuiltForThePlatformAskedFor() {
        Optional<String> failed = RegistryWarmUp.run(Platform.of("plan9", "mips", ""), dir, false);

        assertTrue(failed.isEmpty(), failed.toString());
    }
}
