package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.estargz.RecordingBlob;
import io.lazysnap.estargz.EstargzLayer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FetchingLayerTest {

    private static final int CHUNK = 1 << 20;

    @TempDir
    Path tmp;

    /** A layer whose prioritised file spans five 4 MiB prefetch requests. */
    private SourceLayer.Blob layer() throws IOException {
        byte[] big = new byte[20 << 20];
        new Random(5).nextBytes(big);
        return new SourceLayer().file("big", big, 0644).prioritize("big").file("rest", new byte[] {1}, 0644)
                .estargz(CHUNK);
    }

    @Test
    void prefetchRunsBeforeTheMountAndTheMountServesWhatItFetched() throws Exception {
        SourceLayer.Blob blob = layer();
        RecordingBlob memory = new RecordingBlob(blob.bytes());
        EstargzLayer layer = EstargzLayer.open(memory, blob.annotations());
        LayerFsOptions options = LayerFsOptions.builder(ChunkCache.builder().memoryBytes(64L << 20).build())
                .backgroundFetch(false).build();
        FetchingLayer fetching = LayerFs.start("sha256:test", memory, layer, options);
        assertTrue(fetching.awaitPrefetch(java.time.Duration.ofSeconds(30)), "prefetched without a mount");
        long fetched = memory.bytesRead.get();
        Files.createDirectories(tmp.resolve("m"));
        try (MountedLayer mounted = fetching.mount(tmp.resolve("m"))) {
            assertEquals(20 << 20, Files.readAllBytes(mounted.mountpoint().resolve("big")).length);
            assertEquals(fetched, memory.bytesRead.get(), "the mount read the prefetched chunks from the cache");
            assertThrows(IllegalStateException.class, () -> fetching.mount(tmp.resolve("m")), "mounted once");
        }
    }

    @Test
    void aLayerClosedBeforeItsMountStopsPrefetchingAfterTheRequestInProgress() throws Exception {
        SourceLayer.Blob blob = layer();
        RecordingBlob slow = new RecordingBlob(blob.bytes()) {
            @Override
            public byte[] read(long offset, int length) throws IOException {
                try {
                    Thread.sleep(300);
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                return super.read(offset, length);
            }
        };
        EstargzLayer layer = EstargzLayer.open(new RecordingBlob(blob.bytes()), blob.annotations());
        FetchingLayer fetching = LayerFs.start("sha256:test", slow, layer,
                LayerFsOptions.builder(ChunkCache.builder().build()).backgroundFetch(false).build());
        Thread.sleep(100);
        fetching.close();
        int readsAtClose = slow.reads.size();
        Thread.sleep(800);
        assertTrue(slow.reads.size() <= readsAtClose + 1, slow.reads.size() + " reads after close at " + readsAtClose);
        assertTrue(slow.reads.size() < 5, "the five prefetch requests did not all run: " + slow.reads.size());
        assertThrows(IllegalStateException.class, () -> fetching.mount(tmp));
    }
}
