package io.lazysnap.fs;

import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * Decompressed chunks in memory, bounded by their bytes; the least recently used go first.
 *
 * <p>Plain recency, not a frequency-based admission policy (Caffeine's W-TinyLFU, used here before): a chunk is
 * read in many small pieces right after it arrives (the kernel asks for 128 KiB at a time, a chunk holds up to
 * 4 MiB), so a chunk just loaded is the one most likely to be read next. Under frequency-based admission a new
 * chunk, seen once, could lose to older ones and be dropped at once. Measured with the python3 bench image and an
 * 8 MiB bound, when every read still went through this cache: a container's start took 2.1-2.3 s under W-TinyLFU
 * and 1.4-1.8 s under recency (1.2 s with 16 MiB under either).
 */
final class MemoryChunks {

    private final long capacity;
    private final LinkedHashMap<ChunkKey, byte[]> chunks = new LinkedHashMap<>(64, 0.75f, true);
    private long bytes;

    /** @param capacity bytes of chunks kept; 0 keeps none */
    MemoryChunks(long capacity) {
        this.capacity = capacity;
    }

    synchronized byte[] get(ChunkKey key) {
        return chunks.get(key);
    }

    /** Keeps {@code data}, dropping the least recently used chunks to stay within the bound. */
    synchronized void put(ChunkKey key, byte[] data) {
        if (data.length > capacity) {
            return;
        }
        byte[] replaced = chunks.put(key, data);
        bytes += data.length - (replaced == null ? 0 : replaced.length);
        Iterator<byte[]> oldest = chunks.values().iterator();
        while (bytes > capacity) {
            bytes -= oldest.next().length;
            oldest.remove();
        }
    }

    synchronized long bytes() {
        return bytes;
    }

    synchronized long count() {
        return chunks.size();
    }
}
