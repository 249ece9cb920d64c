package io.lazysnap.fs;

import io.lazysnap.estargz.Sha256;
import io.lazysnap.estargz.Toc;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The chunk caches shared by every mounted layer of a process: verified, decompressed chunks in memory (bounded
 * by bytes) and, optionally, on disk (content-addressed by chunk digest, bounded by watermarks of its own size
 * and of its file system's usage, surviving a restart). It also makes concurrent requests for one chunk, from any
 * layer, share a single fetch; a chunk being loaded is in use and never evicted from disk meanwhile. It knows
 * which chunks mounted layers use, so that removing a layer can delete the chunks only that layer had
 * ({@link #evictUnreferenced}).
 *
 * <pre>{@code
 * ChunkCache cache = ChunkCache.builder()
 *         .memoryBytes(512L << 20)
 *         .disk(Path.of("/var/lib/lazysnap/cache"), 10L << 30, 8L << 30)
 *         .diskUsagePercent(85, 80)
 *         .build();
 * }</pre>
 */
public final class ChunkCache {

    private final MemoryChunks memory;
    private final DiskChunkCache disk;
    private final ConcurrentHashMap<ChunkKey, CompletableFuture<byte[]>> inflight = new ConcurrentHashMap<>();
    /**
     * The chunks of each mounted layer, as the sorted first 64 bits of their digests: 8 bytes a chunk instead of a
     * name string, and the layer's TOC need not stay in the heap for it. Two digests sharing 64 bits only keep a
     * chunk on disk that could have gone.
     */
    private final ConcurrentHashMap<Object, long[]> referenced = new ConcurrentHashMap<>();

    private ChunkCache(Builder b) throws IOException {
        this.memory = new MemoryChunks(b.memoryBytes);
        this.disk = b.directory == null ? null : new DiskChunkCache(b.directory,
                new DiskLimits(b.highWatermark, b.lowWatermark, b.highPercent, b.lowPercent),
                DiskSpace.of(Files.createDirectories(b.directory)), this::loading);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** What the caches hold now. */
    public Stats stats() {
        long memoryBytes = memory.bytes();
        long memoryChunks = memory.count();
        return disk == null
                ? new Stats(memoryBytes, memoryChunks, 0, 0, 0, 0)
                : new Stats(memoryBytes, memoryChunks, disk.bytes(), disk.entries(), disk.evictions(),
                        disk.skippedWrites());
    }

    /**
     * @param memoryBytes  bytes of chunks held in memory
     * @param memoryChunks chunks held in memory
     * @param diskBytes    bytes of chunk files on disk
     * @param diskChunks   chunk files on disk
     * @param diskEvictions chunk files deleted to stay under the watermarks since the cache was opened
     * @param diskSkippedWrites chunks not written to disk because its file system was past its high watermark
     */
    public record Stats(long memoryBytes, long memoryChunks, long diskBytes, long diskChunks, long diskEvictions,
                        long diskSkippedWrites) {
    }

    /**
     * Deletes from the disk cache the chunks of {@code toc} that no mounted layer uses and nobody is loading: call
     * it once the layer is unmounted for good (its snapshot removed), not at a shutdown. Chunks are
     * content-addressed and shared, so those of other mounted layers stay; a layer mounted later that needs a
     * deleted chunk fetches it again, as after any eviction.
     *
     * @return the bytes deleted
     */
    public long evictUnreferenced(Toc toc) {
        if (disk == null) {
            return 0;
        }
        return disk.evict(ChunkKey.diskNamesOf(toc).stream().filter(n -> !isReferenced(n)).toList());
    }

    /** The layer {@code owner}, using {@code toc}'s chunks, is mounted. */
    void reference(Object owner, Toc toc) {
        referenced.put(owner, ChunkKey.diskNamesOf(toc).stream().mapToLong(Sha256::prefix).sorted().toArray());
    }

    /** The layer {@code owner} is unmounted. */
    void unreference(Object owner) {
        referenced.remove(owner);
    }

    private boolean isReferenced(Sha256 diskName) {
        long prefix = diskName.prefix();
        return referenced.values().stream().anyMatch(chunks -> Arrays.binarySearch(chunks, prefix) >= 0);
    }

    byte[] memoryGet(ChunkKey key) {
        return memory.get(key);
    }

    void memoryPut(ChunkKey key, byte[] data) {
        memory.put(key, data);
    }

    /** Bytes from disk (verified), or null; null too when there is no disk cache. */
    byte[] diskGet(ChunkKey key, long size) {
        return disk == null ? null : disk.get(key, size);
    }

    /** Puts part of a chunk from a disk file this process wrote or verified into {@code sink}; false if none. */
    boolean diskRead(ChunkKey key, long size, long offset, int length, FileReader.Sink sink, int at) {
        return disk != null && disk.readVerified(key, size, offset, length, sink, at);
    }

    void diskPut(ChunkKey key, byte[] data) {
        if (disk != null) {
            disk.put(key, data);
        }
    }

    boolean diskContains(ChunkKey key) {
        return disk != null && disk.contains(key);
    }

    boolean hasDisk() {
        return disk != null;
    }

    /**
     * Claims the right to load a chunk: returns a fresh future that the caller must complete (and then
     * {@link #release}), or null when someone else is already loading it ({@link #pending} returns their future).
     */
    CompletableFuture<byte[]> claim(ChunkKey key) {
        CompletableFuture<byte[]> mine = new CompletableFuture<>();
        return inflight.putIfAbsent(key, mine) == null ? mine : null;
    }

    CompletableFuture<byte[]> pending(ChunkKey key) {
        return inflight.get(key);
    }

    void release(ChunkKey key, CompletableFuture<byte[]> claimed) {
        inflight.remove(key, claimed);
    }

    /** Whether the chunk with this disk name is being loaded (fetched, written or read) right now. */
    private boolean loading(Sha256 diskName) {
        return inflight.containsKey(ChunkKey.ofSha256(diskName));
    }

    /** Options of a {@link ChunkCache}. */
    public static final class Builder {
        private long memoryBytes = 256L << 20;
        private Path directory;
        private long highWatermark;
        private long lowWatermark;
        private int highPercent = 100;
        private int lowPercent = 100;

        private Builder() {
        }

        /** Bytes of decompressed chunks kept in memory (default 256 MiB). */
        public Builder memoryBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("memory bytes must not be negative");
            }
            this.memoryBytes = bytes;
            return this;
        }

        /**
         * Keeps chunks on disk under {@code directory} too: when they pass {@code highWatermark} bytes, the least
         * recently used are deleted until they fit under {@code lowWatermark}.
         */
        public Builder disk(Path directory, long highWatermark, long lowWatermark) {
            if (lowWatermark < 0 || lowWatermark > highWatermark) {
                throw new IllegalArgumentException("need 0 <= low watermark <= high watermark");
            }
            this.directory = Objects.requireNonNull(directory, "directory");
            this.highWatermark = highWatermark;
            this.lowWatermark = lowWatermark;
            return this;
        }

        /**
         * Also evicts disk chunks when the file system holding them is more than {@code highPercent} full, down to
         * {@code lowPercent}, and writes no chunk while it stays above (default 100, 100: only the byte bounds).
         */
        public Builder diskUsagePercent(int highPercent, int lowPercent) {
            if (lowPercent < 0 || lowPercent > highPercent || highPercent > 100) {
                throw new IllegalArgumentException("need 0 <= low percent <= high percent <= 100");
            }
            this.highPercent = highPercent;
            this.lowPercent = lowPercent;
            return this;
        }

        /** Opens the disk cache (deleting unfinished writes of an earlier run) and returns the cache. */
        public ChunkCache build() throws IOException {
            return new ChunkCache(this);
        }
    }
}
