package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.estargz.RecordingBlob;
import io.lazysnap.estargz.Chunk;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.estargz.TocEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A blob source that corrupts or drops bytes: reads fail with EIO or are retried, and are never wrong. */
class FaultTest {

    private static final int CHUNK = 64 << 10;

    @TempDir
    Path tmp;

    @Test
    void aCorruptChunkIsNeverServedButTheRestOfTheLayerIs() throws Exception {
        SourceLayer source = SourceLayer.standard(CHUNK);
        SourceLayer.Blob blob = source.estargz(CHUNK);
        byte[] many = ExpectedTree.of(source.tar()).nodes.get("bin/many-chunks").content();
        RecordingBlob memory = new RecordingBlob(blob.bytes());
        Chunk second = EstargzLayer.open(memory, blob.annotations()).toc().entry("bin/many-chunks")
                .map(TocEntry::chunks).orElseThrow().get(1);
        memory.corrupt = second.memberRange();
        ChunkCache cache = ChunkCache.builder().disk(tmp.resolve("cache"), 1L << 30, 1L << 29).build();
        try (TestMounts mounts = new TestMounts(tmp)) {
            MountedLayer m = mounts.mount(memory, blob.annotations(), LayerFsOptions.builder(cache)
                    .backgroundFetch(false).readAheadBytes(0).fetchAttempts(2, Duration.ZERO).build());
            Path file = m.mountpoint().resolve("bin/many-chunks");
            IOException eio = assertThrows(IOException.class, () -> Files.readAllBytes(file));
            assertTrue(eio.getMessage().contains("Input/output error"), eio.toString());
            assertThrows(IOException.class, () -> read(file, CHUNK + 10, 100), "the corrupt chunk itself");
            assertArrayEquals(Arrays.copyOfRange(many, 0, 4096), read(file, 0, 4096), "the chunk before it");
            assertArrayEquals(Arrays.copyOfRange(many, 2 * CHUNK, 2 * CHUNK + 5000), read(file, 2 * CHUNK, 5000),
                    "the chunk after it");
            assertThrows(IOException.class, () -> Files.readAllBytes(m.mountpoint().resolve("bin/link-to-many")),
                    "another name of the same file");
            assertTrue(m.stats().verificationFailures() >= 2, "each read tried twice");
            assertTrue(m.stats().readErrors() > 0);
        }
        String log = Files.readString(Path.of("target/fuse-fs-tests.log"));
        assertTrue(log.contains("layer sha256:" + "ab".repeat(32) + ": cannot serve bin/many-chunks at offset "
                + CHUNK + " after 2 fetches, reads fail with EIO"), log);
        assertFalse(cache.diskContains(ChunkKey.of(second, null)), "nothing corrupt was cached");
        assertTrue(cache.stats().diskChunks() > 0, "the good chunks were");
        // the same bytes, fetched whole again later, are served
        memory.corrupt = null;
        try (TestMounts mounts = new TestMounts(tmp.resolve("again"))) {
            MountedLayer m = mounts.mount(memory, blob.annotations(), LayerFsOptions.builder(cache)
                    .backgroundFetch(false).build());
            assertArrayEquals(many, Files.readAllBytes(m.mountpoint().resolve("bin/many-chunks")));
            assertEquals(0, m.stats().verificationFailures());
        }
    }

    @Test
    void transientFailuresAreRetried() throws Exception {
        SourceLayer source = SourceLayer.standard(CHUNK);
        SourceLayer.Blob blob = source.estargz(CHUNK);
        byte[] many = ExpectedTree.of(source.tar()).nodes.get("bin/many-chunks").content();
        RecordingBlob memory = new RecordingBlob(blob.bytes());
        try (TestMounts mounts = new TestMounts(tmp)) {
            MountedLayer m = mounts.mount(memory, blob.annotations(), LayerFsOptions.builder(
                    ChunkCache.builder().build()).readAheadBytes(0).fetchAttempts(3, Duration.ofMillis(10)).build());
            memory.failNext.set(2);
            assertArrayEquals(many, Files.readAllBytes(m.mountpoint().resolve("bin/many-chunks")));
            assertEquals(0, memory.failNext.get(), "both failures were hit");
            assertEquals(0, m.stats().readErrors());
            memory.failNext.set(1000); // the kernel retries a failed read itself, so stay down for a while
            assertThrows(IOException.class, () -> Files.readAllBytes(m.mountpoint().resolve("bin/one-chunk")),
                    "a source that stays down exhausts the attempts");
            memory.failNext.set(0);
            assertArrayEquals(ExpectedTree.of(source.tar()).nodes.get("bin/one-chunk").content(),
                    Files.readAllBytes(m.mountpoint().resolve("bin/one-chunk")), "a failure is not cached");
        }
    }

    static byte[] read(Path file, long offset, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer buf = ByteBuffer.allocate(length);
            while (buf.hasRemaining() && ch.read(buf, offset + buf.position()) > 0) {
                // keep reading
            }
            return Arrays.copyOf(buf.array(), buf.position());
        }
    }
}
