package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FuseSelfTestTest {

    @TempDir
    Path tmp;

    @Test
    void mountsReadsAndUnmountsLeavingTheDirectoryEmpty() throws Exception {
        Path mountpoint = tmp.resolve("self-test");
        FuseSelfTest.run(mountpoint);
        assertEquals(List.of(), TestMounts.mountsUnder(tmp));
        try (var entries = Files.list(mountpoint)) {
            assertEquals(0, entries.count(), "nothing is left in the mount point");
        }
    }

    @Test
    void aMountPointThatIsAFileFailsWithTheReason() throws Exception {
        Path file = Files.writeString(tmp.resolve("not-a-directory"), "x");
        IOException e = assertThrows(IOException.class, () -> FuseSelfTest.run(file));
        assertTrue(e.toString().contains(file.toString()), e.toString());
        assertEquals(List.of(), TestMounts.mountsUnder(tmp));
    }

    @Test
    void itsTarIsOneRegularFileAsTarToolsReadIt() throws Exception {
        byte[] content = "abc".getBytes(StandardCharsets.US_ASCII);
        try (TarArchiveInputStream in = new TarArchiveInputStream(
                new java.io.ByteArrayInputStream(FuseSelfTest.tar(java.util.Map.of("f", content))))) {
            TarArchiveEntry entry = in.getNextEntry();
            assertEquals("f", entry.getName());
            assertTrue(entry.isFile());
            assertEquals(3, entry.getSize());
            assertEquals("abc", new String(in.readAllBytes(), StandardCharsets.US_ASCII));
            assertEquals(null, in.getNextEntry());
        }
    }
}
