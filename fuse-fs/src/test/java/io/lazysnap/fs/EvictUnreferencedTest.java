package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.estargz.RecordingBlob;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.estargz.Toc;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Removing a layer deletes the disk chunks only it had; chunks shared with a mounted layer, or in use, stay. */
class EvictUnreferencedTest {

    private static final String SHARED = "shared by both layers\n";

    @TempDir
    Path tmp;

    @Test
    void onlyChunksNoMountedLayerUsesGo() throws Exception {
        ChunkCache cache = ChunkCache.builder().disk(tmp, 1 << 20, 1 << 19).build();
        Toc a = layer(cache, Map.of("shared.txt", SHARED, "a.txt", "only in a\n"));
        Toc b = layer(cache, Map.of("shared.txt", SHARED, "b.txt", "only in b\n"));
        cache.reference(a, a);
        cache.reference(b, b);
        cache.unreference(a);

        ChunkKey onlyA = key(a, "a.txt");
        CompletableFuture<byte[]> reading = cache.claim(onlyA);
        assertEquals(0, cache.evictUnreferenced(a), "a chunk being loaded is in use");
        cache.release(onlyA, reading);
        assertEquals("only in a\n".length(), cache.evictUnreferenced(a));
        assertFalse(cache.diskContains(onlyA));
        assertTrue(cache.diskContains(key(a, "shared.txt")), "b, still mounted, uses it");
        assertTrue(cache.diskContains(key(b, "b.txt")));

        cache.unreference(b);
        assertEquals(SHARED.length() + "only in b\n".length(), cache.evictUnreferenced(b));
        assertEquals(0, cache.stats().diskChunks());
    }

    /** A layer of one-chunk files whose chunks are all in the disk cache. */
    private static Toc layer(ChunkCache cache, Map<String, String> files) throws Exception {
        SourceLayer source = new SourceLayer();
        for (Map.Entry<String, String> f : files.entrySet()) {
            source.file(f.getKey(), f.getValue().getBytes(StandardCharsets.UTF_8), 0644);
        }
        SourceLayer.Blob blob = source.estargz(1 << 20);
        Toc toc = EstargzLayer.open(new RecordingBlob(blob.bytes()), blob.annotations()).toc();
        files.forEach((name, content) -> cache.diskPut(key(toc, name), content.getBytes(StandardCharsets.UTF_8)));
        return toc;
    }

    private static ChunkKey key(Toc toc, String file) {
        return ChunkKey.of(toc.entry(file).orElseThrow().chunks().get(0), null);
    }
}
