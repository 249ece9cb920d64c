package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskChunkCacheTest {

    @TempDir
    Path dir;

    private final Random random = new Random(5);

    @Test
    void chunksSurviveARestart() throws Exception {
        byte[] data = bytes(1000);
        ChunkKey key = key(data);
        new DiskChunkCache(dir, 1 << 20, 1 << 19).put(key, data);
        DiskChunkCache reopened = new DiskChunkCache(dir, 1 << 20, 1 << 19);
        assertArrayEquals(data, reopened.get(key, data.length));
        assertEquals(1, reopened.entries());
        assertEquals(1000, reopened.bytes());
    }

    @Test
    void leastRecentlyUsedChunksAreEvictedFromTheHighToTheLowWatermark() throws Exception {
        DiskChunkCache cache = new DiskChunkCache(dir, 10_000, 5_000);
        byte[][] chunks = new byte[10][];
        for (int i = 0; i < 10; i++) {
            chunks[i] = bytes(1000);
            cache.put(key(chunks[i]), chunks[i]);
        }
        assertEquals(10_000, cache.bytes(), "at the high watermark nothing goes");
        assertTrue(cache.get(key(chunks[0]), 1000) != null, "touch the oldest");
        byte[] more = bytes(1000);
        cache.put(key(more), more);
        assertEquals(5_000, cache.bytes(), "down to the low watermark");
        assertEquals(6, cache.evictions());
        assertTrue(cache.contains(key(chunks[0])), "recently used survives");
        assertTrue(cache.contains(key(more)), "the new chunk survives");
        for (int i = 1; i <= 6; i++) {
            assertFalse(cache.contains(key(chunks[i])), "old chunk " + i);
        }
        try (Stream<Path> files = Files.walk(dir.resolve("chunks"))) {
            assertEquals(5, files.filter(Files::isRegularFile).count(), "evicted files are deleted");
        }
        assertEquals(5_000, new DiskChunkCache(dir, 10_000, 5_000).bytes(), "the index is rebuilt from the files");
        assertEquals(3_000, new DiskChunkCache(dir, 4_000, 3_000).bytes(), "a smaller limit trims at start");
    }

    @Test
    void unfinishedAndDamagedFilesAreNeverServed() throws Exception {
        byte[] good = bytes(4000);
        byte[] torn = bytes(4000);
        byte[] flipped = bytes(4000);
        DiskChunkCache cache = new DiskChunkCache(dir, 1 << 20, 1 << 19);
        cache.put(key(good), good);
        cache.put(key(torn), torn);
        cache.put(key(flipped), flipped);
        Path tornFile = file(key(torn));
        Files.write(tornFile, java.util.Arrays.copyOf(torn, 1000)); // a power cut after the rename
        byte[] bad = flipped.clone();
        bad[17] ^= 1;
        Files.write(file(key(flipped)), bad);
        Files.write(dir.resolve("tmp").resolve("leftover.1"), new byte[123]); // a crash in the middle of a write

        DiskChunkCache reopened = new DiskChunkCache(dir, 1 << 20, 1 << 19);
        try (Stream<Path> tmp = Files.list(dir.resolve("tmp"))) {
            assertEquals(0, tmp.count(), "unfinished writes are deleted at start");
        }
        assertArrayEquals(good, reopened.get(key(good), good.length));
        assertNull(reopened.get(key(torn), torn.length));
        assertNull(reopened.get(key(flipped), flipped.length));
        assertFalse(Files.exists(tornFile), "a damaged file is deleted");
        assertEquals(4000, reopened.bytes());
        reopened.put(key(torn), torn);
        assertArrayEquals(torn, reopened.get(key(torn), torn.length), "and can be stored again");
    }

    @Test
    void keysThatAreNotSha256DigestsStayOffDisk() throws Exception {
        DiskChunkCache cache = new DiskChunkCache(dir, 1 << 20, 1 << 19);
        byte[] data = bytes(10);
        cache.put(new ChunkKey("sha256:../../etc/passwd", null, 0, 0), data);
        cache.put(new ChunkKey(null, new Object(), 1, 2), data);
        assertEquals(0, cache.entries());
    }

    private Path file(ChunkKey key) {
        String hex = key.diskName();
        return dir.resolve("chunks").resolve(hex.substring(0, 2)).resolve(hex);
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    static ChunkKey key(byte[] data) {
        return new ChunkKey("sha256:" + HexFormat.of().formatHex(DiskChunkCache.sha256(data)), null, 0, 0);
    }
}
