package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.estargz.Sha256;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskChunkCacheTest {

    @TempDir
    Path dir;

    private final Random random = new Random(5);

    @Test
    void aSymlinkPlantedAtATemporaryNameIsNeverWrittenThrough() throws Exception {
        byte[] data = bytes(1000);
        ChunkKey key = key(data);
        DiskChunkCache cache = bytesOnly(dir, 1 << 20, 1 << 19);
        Path outside = Files.writeString(Files.createTempFile("outside", ".txt"), "untouched");
        try {
            for (int i = 1; i <= 3; i++) {
                Files.createSymbolicLink(dir.resolve("tmp").resolve(key.digest().hex() + "." + i), outside);
            }
            cache.put(key, data);
            assertEquals("untouched", Files.readString(outside));
            assertEquals(null, cache.get(key, data.length), "the write was refused rather than redirected");
        } finally {
            Files.deleteIfExists(outside);
        }
    }

    @Test
    void chunksSurviveARestart() throws Exception {
        byte[] data = bytes(1000);
        ChunkKey key = key(data);
        bytesOnly(dir, 1 << 20, 1 << 19).put(key, data);
        // Files the cache did not write where it looks for them are not its own: neither counted nor served.
        String hex = key(bytes(10)).digest().hex();
        Files.write(Files.createDirectories(dir.resolve("chunks").resolve("zz")).resolve(hex), new byte[7]);
        Files.write(dir.resolve("chunks").resolve(hex.toUpperCase(java.util.Locale.ROOT)), new byte[7]);
        DiskChunkCache reopened = bytesOnly(dir, 1 << 20, 1 << 19);
        assertArrayEquals(data, reopened.get(key, data.length));
        assertEquals(1, reopened.entries());
        assertEquals(1000, reopened.bytes());
    }

    @Test
    void chunkDirectoriesAreMadeAtOpenAndAgainIfDeletedMeanwhile() throws Exception {
        DiskChunkCache cache = bytesOnly(dir, 1 << 20, 1 << 19);
        try (Stream<Path> shards = Files.list(dir.resolve("chunks"))) {
            assertEquals(256, shards.filter(Files::isDirectory).count());
        }
        // Several slices of a write, and a directory someone removed under the running cache.
        byte[] data = bytes(300 << 10);
        ChunkKey key = key(data);
        Files.delete(DiskChunkCache.file(dir.resolve("chunks"), key.digest()).getParent());
        cache.put(key, data);
        assertArrayEquals(data, Files.readAllBytes(DiskChunkCache.file(dir.resolve("chunks"), key.digest())));
        assertArrayEquals(data, bytesOnly(dir, 1 << 20, 1 << 19).get(key, data.length));
    }

    @Test
    void leastRecentlyUsedChunksAreEvictedFromTheHighToTheLowWatermark() throws Exception {
        DiskChunkCache cache = bytesOnly(dir, 10_000, 5_000);
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
        assertEquals(5_000, bytesOnly(dir, 10_000, 5_000).bytes(), "the index is rebuilt from the files");
        assertEquals(3_000, bytesOnly(dir, 4_000, 3_000).bytes(), "a smaller limit trims at start");
    }

    @Test
    void theNumberOfFilesIsBoundedTooForTheirIndexIsInTheHeap() throws Exception {
        DiskChunkCache cache = filesOnly(dir, 10);
        byte[][] chunks = new byte[10][];
        for (int i = 0; i < 10; i++) {
            chunks[i] = bytes(10);
            cache.put(key(chunks[i]), chunks[i]);
        }
        assertEquals(10, cache.entries(), "at the high watermark nothing goes");
        assertTrue(cache.get(key(chunks[0]), 10) != null, "touch the oldest");
        byte[] more = bytes(10);
        cache.put(key(more), more);
        assertEquals(9, cache.entries(), "down to nine tenths");
        assertTrue(cache.contains(key(chunks[0])) && cache.contains(key(more)), "recently used and new survive");
        assertFalse(cache.contains(key(chunks[1])) || cache.contains(key(chunks[2])), "the oldest go");
        try (Stream<Path> files = Files.walk(dir.resolve("chunks"))) {
            assertEquals(9, files.filter(Files::isRegularFile).count(), "evicted files are deleted");
        }
        assertEquals(5, filesOnly(dir, 5).entries(), "a smaller bound trims at start");
    }

    @Test
    void unfinishedAndDamagedFilesAreNeverServed() throws Exception {
        byte[] good = bytes(4000);
        byte[] torn = bytes(4000);
        byte[] flipped = bytes(4000);
        DiskChunkCache cache = bytesOnly(dir, 1 << 20, 1 << 19);
        cache.put(key(good), good);
        cache.put(key(torn), torn);
        cache.put(key(flipped), flipped);
        Path tornFile = file(key(torn));
        Files.write(tornFile, java.util.Arrays.copyOf(torn, 1000)); // a power cut after the rename
        byte[] bad = flipped.clone();
        bad[17] ^= 1;
        Files.write(file(key(flipped)), bad);
        Files.write(dir.resolve("tmp").resolve("leftover.1"), new byte[123]); // a crash in the middle of a write

        DiskChunkCache reopened = bytesOnly(dir, 1 << 20, 1 << 19);
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

    /** {@code length} bytes from {@code offset} of a 5000-byte chunk's file, through the heap, or null. */
    private static byte[] part(DiskChunkCache cache, ChunkKey key, long offset, int length) {
        byte[] part = new byte[length];
        return cache.readVerified(key, 5000, offset, length, (at, src, srcOffset, n) ->
                System.arraycopy(src, srcOffset, part, at, n), 0) ? part : null;
    }

    @Test
    void partsAreReadOnlyFromFilesThisProcessWroteOrHashed() throws Exception {
        byte[] written = bytes(5000);
        byte[] found = bytes(5000);
        byte[] flipped = bytes(5000);
        DiskChunkCache cache = bytesOnly(dir, 1 << 20, 1 << 19);
        cache.put(key(found), found);
        cache.put(key(flipped), flipped);
        byte[] bad = flipped.clone();
        bad[4000] ^= 1;
        Files.write(file(key(flipped)), bad); // damaged while no daemon ran

        DiskChunkCache reopened = bytesOnly(dir, 1 << 20, 1 << 19);
        reopened.put(key(written), written);
        assertArrayEquals(Arrays.copyOfRange(written, 1000, 1300), part(reopened, key(written), 1000, 300));

        assertNull(part(reopened, key(found), 0, 100), "an earlier run's file is hashed whole first");
        assertArrayEquals(found, reopened.get(key(found), found.length));
        assertArrayEquals(Arrays.copyOfRange(found, 4900, 5000), part(reopened, key(found), 4900, 100));

        assertNull(part(reopened, key(flipped), 0, 100), "its first 100 bytes are intact, even so");
        assertNull(reopened.get(key(flipped), flipped.length));
        assertFalse(Files.exists(file(key(flipped))));

        Files.write(file(key(written)), Arrays.copyOf(written, 4000));
        assertNull(part(reopened, key(written), 0, 100), "a file of another size is not read");
        assertNull(reopened.get(key(written), 5000), "and the whole read, under the chunk's claim, drops it");
        assertFalse(Files.exists(file(key(written))));
        assertEquals(5000, reopened.bytes());
    }

    @Test
    void keysWithoutADigestStayOffDisk() throws Exception {
        // A digest is 32 bytes by the time it names a file: "sha256:../../etc/passwd" never gets this far.
        assertNull(Sha256.parse("sha256:../../etc/passwd"));
        DiskChunkCache cache = bytesOnly(dir, 1 << 20, 1 << 19);
        byte[] data = bytes(10);
        cache.put(new ChunkKey(null, new Object(), 1, 2), data);
        assertEquals(0, cache.entries());
    }

    @Test
    void aFileSystemPastItsHighPercentIsFreedDownToTheLowPercentSparingChunksInUse() throws Exception {
        AtomicLong others = new AtomicLong(50_000); // what other programs keep on a 100 kB file system
        AtomicReference<DiskChunkCache> self = new AtomicReference<>();
        DiskSpace space = () -> new DiskSpace.Usage(100_000, 100_000 - others.get() - cached(self));
        Set<Sha256> inUse = ConcurrentHashMap.newKeySet();
        self.set(new DiskChunkCache(dir, new DiskLimits(1 << 20, 1 << 19, 85, 80), space, inUse::contains));
        DiskChunkCache cache = self.get();
        byte[][] chunks = new byte[30][];
        for (int i = 0; i < 30; i++) {
            chunks[i] = bytes(1000);
            cache.put(key(chunks[i]), chunks[i]);
        }
        assertEquals(30_000, cache.bytes(), "80 % used: under the high percent");
        inUse.add(key(chunks[0]).digest()); // the least recently used, but being read
        others.set(60_000); // someone else writes 10 kB: 90 % used
        byte[] more = bytes(1000);
        cache.put(key(more), more);
        assertEquals(20_000, cache.bytes(), "down to 80 % of the file system with the new chunk");
        assertTrue(cache.contains(key(chunks[0])), "a chunk in use is never evicted");
        assertTrue(cache.contains(key(more)));
        for (int i = 1; i <= 11; i++) {
            assertFalse(cache.contains(key(chunks[i])), "old chunk " + i);
        }
        assertEquals(11, cache.evictions());
        assertEquals(0, cache.skippedWrites());
    }

    @Test
    void aFileSystemFullOfOtherFilesGetsNoChunksButStillServesWhatItHas() throws Exception {
        AtomicLong others = new AtomicLong(0);
        AtomicReference<DiskChunkCache> self = new AtomicReference<>();
        DiskSpace space = () -> new DiskSpace.Usage(100_000, 100_000 - others.get() - cached(self));
        self.set(new DiskChunkCache(dir, new DiskLimits(1 << 20, 1 << 19, 85, 80), space, name -> true));
        DiskChunkCache cache = self.get();
        byte[] kept = bytes(1000);
        cache.put(key(kept), kept);
        others.set(95_000);
        byte[] refused = bytes(1000);
        cache.put(key(refused), refused);
        assertFalse(cache.contains(key(refused)), "not written: the disk is full and nothing may be evicted");
        assertEquals(1, cache.skippedWrites());
        assertArrayEquals(kept, cache.get(key(kept), kept.length));
        others.set(10_000);
        cache.put(key(refused), refused);
        assertArrayEquals(refused, cache.get(key(refused), refused.length), "written again once there is room");
    }

    /** A fake file system holds the cache's bytes too (none while the cache is being opened). */
    private static long cached(AtomicReference<DiskChunkCache> cache) {
        return cache.get() == null ? 0 : cache.get().bytes();
    }

    private static DiskChunkCache filesOnly(Path dir, long highFiles) throws IOException {
        return new DiskChunkCache(dir, new DiskLimits(1 << 30, 1 << 29, 100, 100, highFiles),
                () -> DiskSpace.Usage.UNKNOWN, name -> false);
    }

    private static DiskChunkCache bytesOnly(Path dir, long high, long low) throws IOException {
        return new DiskChunkCache(dir, new DiskLimits(high, low, 100, 100), () -> DiskSpace.Usage.UNKNOWN,
                name -> false);
    }

    private Path file(ChunkKey key) {
        String hex = key.digest().hex();
        return dir.resolve("chunks").resolve(hex.substring(0, 2)).resolve(hex);
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    static ChunkKey key(byte[] data) {
        return new ChunkKey(Sha256.hash(data), null, 0, 0);
    }
}
