package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.estargz.RecordingBlob;
import io.lazysnap.estargz.ByteRange;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.estargz.Sha256;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What crosses the network: only what is read, once; prefetch in one request; background fetch; lifecycle. */
class LazyFetchTest {

    private static final int CHUNK = 64 << 10;

    @TempDir
    Path tmp;

    @Test
    void readingASmallFileOfALargeLayerFetchesOnlyItThenNothingAfterARemount() throws Exception {
        Random random = new Random(3);
        SourceLayer source = new SourceLayer();
        byte[] small = SourceLayer.random(random, 10 << 10);
        source.file("app/config", small, 0644);
        for (int i = 0; i < 20; i++) {
            source.file("app/blob-" + i, SourceLayer.random(random, 10 << 20), 0644); // 200 MiB in all
        }
        SourceLayer.Blob blob = source.estargz(4 << 20);
        assertTrue(blob.result().uncompressedSize() > 200 << 20);
        RecordingBlob memory = new RecordingBlob(blob.bytes());
        Path cacheDir = tmp.resolve("cache");
        LayerFsOptions.Builder options = LayerFsOptions.builder(diskCache(cacheDir)).backgroundFetch(false);
        try (TestMounts mounts = new TestMounts(tmp.resolve("first"))) {
            MountedLayer m = mounts.mount(memory, blob.annotations(), options.build());
            memory.resetCounters(); // opening the layer read the footer and TOC
            assertArrayEquals(small, Files.readAllBytes(m.mountpoint().resolve("app/config")));
            assertEquals(1, memory.reads.size(), "one range request: " + memory.reads);
            assertTrue(memory.bytesRead.get() < 12 << 10, memory.bytesRead + " bytes for a 10 KiB file");
        }
        // a restart: new process state, same cache directory
        LayerFsOptions restarted = LayerFsOptions.builder(diskCache(cacheDir)).backgroundFetch(false).build();
        try (TestMounts mounts = new TestMounts(tmp.resolve("second"))) {
            MountedLayer m = mounts.mount(memory, blob.annotations(), restarted);
            memory.resetCounters();
            assertArrayEquals(small, Files.readAllBytes(m.mountpoint().resolve("app/config")));
            assertEquals(0, memory.bytesRead.get(), "served from the disk cache");
            assertEquals(1, m.stats().diskHits());
        }
    }

    @Test
    void prioritisedFilesArePrefetchedWithOneRequest() throws Exception {
        SourceLayer source = SourceLayer.standard(CHUNK).prioritize("bin/small").prioritize("bin/many-chunks")
                .prioritize("etc/caps");
        SourceLayer.Blob blob = source.estargz(CHUNK);
        ExpectedTree expected = ExpectedTree.of(source.tar());
        RecordingBlob memory = new RecordingBlob(blob.bytes());
        EstargzLayer layer = EstargzLayer.open(memory, blob.annotations());
        ByteRange prefetch = layer.prefetchRange().orElseThrow();
        try (TestMounts mounts = new TestMounts(tmp)) {
            memory.resetCounters();
            MountedLayer m = mounts.mount(memory, layer, LayerFsOptions.builder(ChunkCache.builder().build())
                    .backgroundFetch(false).build());
            assertTrue(m.awaitPrefetch(Duration.ofSeconds(10)));
            assertEquals(1, memory.reads.size(), "one request: " + memory.reads);
            ByteRange request = memory.reads.get(0);
            assertTrue(request.offset() >= prefetch.offset() && request.end() <= prefetch.end(),
                    request + " lies in " + prefetch);
            memory.resetCounters();
            for (String p : List.of("bin/small", "bin/many-chunks", "bin/link-to-many", "etc/caps")) {
                assertArrayEquals(expected.resolve(expected.nodes.get(p)).content(),
                        Files.readAllBytes(m.mountpoint().resolve(p)), p);
            }
            assertEquals(List.of(), memory.reads, "prioritised files come from the cache");
            assertTrue(m.stats().prefetchDone());
            assertArrayEquals(expected.nodes.get("zeros").content(), Files.readAllBytes(m.mountpoint().resolve("zeros")));
            assertFalse(memory.reads.isEmpty(), "other files are fetched on demand");
        }
    }

    @Test
    void backgroundFetchFillsTheDiskCacheAndYieldsToReads() throws Exception {
        SourceLayer source = SourceLayer.standard(CHUNK);
        SourceLayer.Blob blob = source.estargz(CHUNK);
        ExpectedTree expected = ExpectedTree.of(source.tar());
        RecordingBlob memory = new RecordingBlob(blob.bytes());
        ChunkCache cache = diskCache(tmp.resolve("cache"));
        Set<Sha256> digests = FileChunk.allOf(EstargzLayer.open(memory).toc()).stream()
                .map(fc -> fc.chunk().sha256()).collect(Collectors.toSet());
        try (TestMounts mounts = new TestMounts(tmp.resolve("mounts"))) {
            MountedLayer m = mounts.mount(memory, blob.annotations(), LayerFsOptions.builder(cache)
                    .backgroundFetchBytesPerSecond(0).backgroundFetchSilence(Duration.ZERO).build());
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (!m.stats().backgroundFetchDone() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertTrue(m.stats().backgroundFetchDone(), m.stats().toString());
            assertEquals(digests.size(), cache.stats().diskChunks(), "every distinct chunk is on disk");
            DiskResidency residency = DiskResidency.of(tmp.resolve("cache"), EstargzLayer.open(memory).toc());
            assertEquals(digests.size(), residency.chunks());
            assertEquals(residency.chunks(), residency.cachedChunks(), "as a debugging tool sees it");
            assertEquals(residency.bytes(), residency.cachedBytes());
            memory.resetCounters();
            for (ExpectedTree.Node n : expected.nodes.values()) {
                if (n.type() == 'f') {
                    assertArrayEquals(n.content(), Files.readAllBytes(m.mountpoint().resolve(n.path())), n.path());
                }
            }
            assertEquals(0, memory.bytesRead.get(), "everything is local now");
        }
    }

    @Test
    void closingStopsASlowBackgroundFetchAndABusyMountIsDetachedLazily() throws Exception {
        SourceLayer source = SourceLayer.standard(CHUNK);
        SourceLayer.Blob blob = source.estargz(CHUNK);
        RecordingBlob memory = new RecordingBlob(blob.bytes());
        Path mounts = tmp.resolve("mounts");
        TestMounts fixture = new TestMounts(mounts);
        MountedLayer m;
        InputStream open;
        try {
            m = fixture.mount(memory, blob.annotations(), LayerFsOptions.builder(diskCache(tmp.resolve("cache")))
                    .backgroundFetchBytesPerSecond(1024).build());
            open = Files.newInputStream(m.mountpoint().resolve("bin/small"));
            long start = System.nanoTime();
            m.close();
            assertTrue(System.nanoTime() - start < Duration.ofSeconds(5).toNanos(), "close does not wait for the fetch");
            assertEquals(List.of(), TestMounts.mountsUnder(mounts), "detached although a file is open");
            assertFalse(m.stats().backgroundFetchDone());
            assertEquals("hello, layer\n", new String(open.readAllBytes()), "the open file still reads");
            assertTrue(m.isServing(), "until it is closed");
            open.close();
        } finally {
            fixture.close();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (m.isServing() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(m.isServing(), "the session ended with the last open file");
        Thread.sleep(200);
        List<String> threads = Thread.getAllStackTraces().keySet().stream().map(Thread::getName)
                .filter(n -> n.startsWith("lazysnap-") && n.contains("abababababab")).toList();
        assertEquals(List.of(), threads, "no threads of the layer are left");
    }

    private static ChunkCache diskCache(Path dir) throws java.io.IOException {
        return ChunkCache.builder().memoryBytes(64L << 20).disk(dir, 1L << 30, 1L << 29).build();
    }
}
