package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.estargz.RecordingBlob;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The disk cache on a real, full file system (a 1 MiB tmpfs): reads still return the right bytes. */
class FullDiskTest {

    private static final int CHUNK = 64 << 10;

    @TempDir
    Path tmp;

    private Path disk;

    @BeforeEach
    void mountSmallTmpfs() throws Exception {
        disk = Files.createDirectories(tmp.resolve("disk"));
        run("mount", "-t", "tmpfs", "-o", "size=1m", "lazysnap-test", disk.toString());
    }

    @AfterEach
    void unmountTmpfs() throws Exception {
        run("umount", disk.toString());
    }

    @Test
    void aFullCacheFileSystemDegradesToFetchingFromTheRegistry() throws Exception {
        SourceLayer source = SourceLayer.standard(CHUNK);
        SourceLayer.Blob blob = source.estargz(CHUNK);
        ExpectedTree expected = ExpectedTree.of(source.tar());
        RecordingBlob memory = new RecordingBlob(blob.bytes());
        Path cacheDir = Files.createDirectories(disk.resolve("cache"));
        fill(disk.resolve("filler"));
        ChunkCache cache = ChunkCache.builder().memoryBytes(0).disk(cacheDir, 1L << 30, 1L << 29)
                .diskUsagePercent(90, 80).build();
        for (String round : List.of("first", "second")) {
            try (TestMounts mounts = new TestMounts(tmp.resolve(round))) {
                MountedLayer m = mounts.mount(memory, blob.annotations(), LayerFsOptions.builder(cache).build());
                memory.resetCounters();
                readEverything(expected, m.mountpoint());
                assertTrue(memory.bytesRead.get() > 0, round + " mount: fetched from the registry again");
            }
        }
        assertEquals(0, cache.stats().diskChunks());
        assertTrue(cache.stats().diskSkippedWrites() > 0, cache.stats().toString());
        try (Stream<Path> tmpFiles = Files.list(cacheDir.resolve("tmp"))) {
            assertEquals(0, tmpFiles.count(), "no half-written chunk is left");
        }

        Files.delete(disk.resolve("filler"));
        try (TestMounts mounts = new TestMounts(tmp.resolve("third"))) {
            MountedLayer m = mounts.mount(memory, blob.annotations(), LayerFsOptions.builder(cache)
                    .backgroundFetch(false).build());
            readEverything(expected, m.mountpoint());
        }
        assertTrue(cache.stats().diskChunks() > 0, "with room again, chunks are cached on disk");
    }

    @Test
    void aWriteThatRunsOutOfSpaceLeavesNothingBehind() throws Exception {
        Path cacheDir = Files.createDirectories(disk.resolve("cache"));
        DiskChunkCache cache = new DiskChunkCache(cacheDir, new DiskLimits(1L << 30, 1L << 29, 100, 100),
                () -> DiskSpace.Usage.UNKNOWN, name -> false); // blind to the space left: the write itself fails
        fill(disk.resolve("filler"));
        byte[] chunk = new byte[CHUNK];
        new Random(1).nextBytes(chunk);
        cache.put(DiskChunkCacheTest.key(chunk), chunk);
        assertFalse(cache.contains(DiskChunkCacheTest.key(chunk)));
        assertEquals(0, cache.bytes());
        try (Stream<Path> tmpFiles = Files.list(cacheDir.resolve("tmp"))) {
            assertEquals(0, tmpFiles.count());
        }
    }

    private static void readEverything(ExpectedTree expected, Path mountpoint) throws IOException {
        for (ExpectedTree.Node n : expected.nodes.values()) {
            if (n.type() == 'f') {
                assertArrayEquals(n.content(), Files.readAllBytes(mountpoint.resolve(n.path())), n.path());
            }
        }
    }

    /** Writes until the file system says ENOSPC. */
    private static void fill(Path file) throws IOException {
        byte[] block = new byte[4096];
        try (OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(block);
                out.flush();
            }
        } catch (IOException e) {
            if (!String.valueOf(e.getMessage()).contains("No space left on device")) {
                throw e;
            }
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).inheritIO().start();
        assertEquals(0, p.waitFor(), String.join(" ", command));
    }
}
