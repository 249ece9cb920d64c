package io.lazysnap.fs;

import io.lazysnap.estargz.Sha256;
import io.lazysnap.estargz.Toc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * How much of a layer a disk cache directory holds, found by looking for each chunk's file without opening it:
 * what debugging tools show, read while a daemon may be using the cache.
 *
 * @param chunks       distinct chunks of the layer's regular files
 * @param bytes        their decompressed bytes
 * @param cachedChunks those with a file in the cache
 * @param cachedBytes  their decompressed bytes
 */
public record DiskResidency(long chunks, long bytes, long cachedChunks, long cachedBytes) {

    /** Residency of {@code toc}'s chunks in the disk cache at {@code directory} (as given to the cache builder). */
    public static DiskResidency of(Path directory, Toc toc) {
        Set<Sha256> seen = new HashSet<>();
        long chunks = 0;
        long bytes = 0;
        long cachedChunks = 0;
        long cachedBytes = 0;
        for (FileChunk fc : FileChunk.allOf(toc)) {
            Sha256 name = fc.chunk().sha256();
            if (name != null && !seen.add(name)) {
                continue;
            }
            chunks++;
            bytes += fc.chunk().size();
            if (name != null && Files.exists(DiskChunkCache.file(directory.resolve("chunks"), name))) {
                cachedChunks++;
                cachedBytes += fc.chunk().size();
            }
        }
        return new DiskResidency(chunks, bytes, cachedChunks, cachedBytes);
    }
}
