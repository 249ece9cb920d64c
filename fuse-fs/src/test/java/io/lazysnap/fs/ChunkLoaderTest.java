package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.estargz.ByteRange;
import io.lazysnap.estargz.RecordingBlob;
import io.lazysnap.estargz.DigestMismatchException;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.estargz.LayerFormatException;
import io.lazysnap.estargz.TocEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The read pipeline without FUSE: caches, shared fetches, retries, verification, read-ahead, background. */
class ChunkLoaderTest {

    private static final int CHUNK = 16 << 10;

    @TempDir
    Path tmp;

    private final byte[] content = SourceLayer.random(new Random(9), 10 * CHUNK + 77);

    /** A layer with the same file under two names in two different layers. */
    private SourceLayer.Blob layer(String name) throws IOException {
        return new SourceLayer().file(name, content, 0644).estargz(CHUNK);
    }

    /** Background fetches wait this long after the last read's fetch. */
    private static final Duration SILENCE = Duration.ofMillis(600);
    private final ForegroundActivity activity = new ForegroundActivity(SILENCE);

    private record Setup(RecordingBlob blob, EstargzLayer layer, ChunkLoader loader, LayerCounters counters, Inode file) {
    }

    private Setup setup(SourceLayer.Blob b, RecordingBlob blob, ChunkCache cache, int attempts) throws IOException {
        EstargzLayer layer = EstargzLayer.open(blob, b.annotations());
        LayerCounters counters = new LayerCounters();
        ChunkLoader loader = new ChunkLoader("sha256:test", layer, blob, cache, counters, attempts, 1, activity);
        InodeTable table = InodeTable.of(layer.toc());
        Inode file = table.lookup(layer.toc().entries().stream().filter(e -> e.size() > 0 && e.size() != 1)
                .map(TocEntry::path).findFirst().orElseThrow());
        blob.resetCounters();
        return new Setup(blob, layer, loader, counters, file);
    }

    @Test
    void concurrentReadersOfAChunkShareOneFetch() throws Exception {
        SourceLayer.Blob b = layer("f");
        Setup s = setup(b, new RecordingBlob(b.bytes()), ChunkCache.builder().build(), 1);
        CountDownLatch gate = new CountDownLatch(1);
        RecordingBlob gated = new RecordingBlob(b.bytes()) {
            @Override
            public byte[] read(long offset, int length) throws IOException {
                try {
                    gate.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                return super.read(offset, length);
            }
        };
        ChunkLoader loader = new ChunkLoader("sha256:test", s.layer(), gated, ChunkCache.builder().build(),
                s.counters(), 1, 1, activity);
        FileChunk first = new FileChunk("f", s.file().content().chunks().get(0));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<byte[]>> results = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            results.add(pool.submit(() -> loader.load(first, ChunkLoader.Purpose.FOREGROUND)));
        }
        Thread.sleep(200);
        gate.countDown();
        for (Future<byte[]> f : results) {
            assertArrayEquals(Arrays.copyOf(content, CHUNK), f.get());
        }
        pool.shutdown();
        assertEquals(1, gated.reads.size(), "one fetch for eight readers");
    }

    @Test
    void layersShareChunksByDigestAndTheDiskTierBacksTheMemoryTier() throws Exception {
        SourceLayer.Blob aBlob = layer("a");
        Setup a = setup(aBlob, new RecordingBlob(aBlob.bytes()), ChunkCache.builder().disk(tmp, 1 << 30, 1 << 29).build(), 1);
        SourceLayer.Blob bBlob = layer("some/other/name");
        byte[] read = new byte[content.length];
        FileReader reader = new FileReader(a.loader(), Runnable::run, 0);
        reader.read(a.file(), new FileReader.Cursor(), 0, content.length, (at, src, off, len) -> System.arraycopy(src, off, read, at, len));
        assertArrayEquals(content, read);
        assertEquals(11, a.blob().reads.size());
        // another cache over the same directory: what a restarted process sees
        Setup b = setup(bBlob, new RecordingBlob(bBlob.bytes()), ChunkCache.builder().disk(tmp, 1 << 30, 1 << 29).build(), 1);
        new FileReader(b.loader(), Runnable::run, 0).read(b.file(), new FileReader.Cursor(), 0, content.length,
                (at, src, off, len) -> System.arraycopy(src, off, read, at, len));
        assertArrayEquals(content, read);
        assertEquals(0, b.blob().reads.size(), "the other layer's chunks came from the disk cache");
        assertEquals(11, b.counters().diskHits.sum());
    }

    @Test
    void chunksTheDiskCacheTookAreReadFromItPieceByPieceAndNotKeptInMemory() throws Exception {
        SourceLayer.Blob b = layer("a");
        ChunkCache withDisk = ChunkCache.builder().disk(tmp, 1 << 30, 1 << 29).build();
        Setup s = setup(b, new RecordingBlob(b.bytes()), withDisk, 1);
        assertArrayEquals(content, readInPieces(s, 1000));
        assertEquals(11, s.blob().reads.size(), "each chunk fetched once");
        assertEquals(0, withDisk.stats().memoryChunks());
        assertTrue(s.counters().diskHits.sum() >= content.length / 1000 - 11, s.counters().diskHits.sum() + " reads");

        ChunkCache memoryOnly = ChunkCache.builder().build();
        Setup m = setup(b, new RecordingBlob(b.bytes()), memoryOnly, 1);
        assertArrayEquals(content, readInPieces(m, 1000));
        assertEquals(11, m.blob().reads.size());
        assertEquals(11, memoryOnly.stats().memoryChunks(), "without a disk cache, memory keeps them");
    }

    /** The file read as the kernel does, in pieces smaller than a chunk. */
    private static byte[] readInPieces(Setup s, int piece) throws IOException {
        byte[] read = new byte[(int) s.file().size()];
        FileReader reader = new FileReader(s.loader(), Runnable::run, 0);
        for (int at = 0; at < read.length; at += piece) {
            int base = at;
            reader.read(s.file(), new FileReader.Cursor(), at, Math.min(piece, read.length - at),
                    (o, src, off, len) -> System.arraycopy(src, off, read, base + o, len));
        }
        return read;
    }

    @Test
    void aChunkThatFailsVerificationIsRetriedThenRefusedAndNotCached() throws Exception {
        SourceLayer.Blob b = layer("f");
        RecordingBlob blob = new RecordingBlob(b.bytes());
        ChunkCache cache = ChunkCache.builder().build();
        Setup s = setup(b, blob, cache, 3);
        FileChunk chunk = new FileChunk("f", s.file().content().chunks().get(3));
        blob.corrupt = chunk.chunk().memberRange();
        IOException e = assertThrows(IOException.class, () -> s.loader().load(chunk, ChunkLoader.Purpose.FOREGROUND));
        assertTrue(e instanceof DigestMismatchException || e instanceof LayerFormatException, e.toString());
        assertEquals(2, blob.reads.size(), "fetched once more, not once per attempt");
        assertEquals(2, s.counters().verificationFailures.sum());
        assertEquals(null, cache.memoryGet(ChunkKey.of(chunk.chunk(), s.layer())));
        blob.corrupt = null;
        assertArrayEquals(Arrays.copyOfRange(content, 3 * CHUNK, 4 * CHUNK),
                s.loader().load(chunk, ChunkLoader.Purpose.FOREGROUND));
    }

    @Test
    void sequentialReadersGetTheNextChunksLoadedAhead() throws Exception {
        SourceLayer.Blob b = layer("f");
        Setup s = setup(b, new RecordingBlob(b.bytes()), ChunkCache.builder().build(), 1);
        List<Runnable> queued = new ArrayList<>();
        FileReader reader = new FileReader(s.loader(), queued::add, 2L * CHUNK);
        FileReader.Cursor cursor = new FileReader.Cursor();
        byte[] buf = new byte[4096];
        reader.read(s.file(), cursor, 0, 4096, (at, src, off, len) -> System.arraycopy(src, off, buf, at, len));
        assertEquals(List.of(), queued, "one read is not a pattern");
        reader.read(s.file(), cursor, 4096, 4096, (at, src, off, len) -> System.arraycopy(src, off, buf, at, len));
        assertEquals(2, queued.size(), "the next two chunks: " + queued);
        reader.read(s.file(), cursor, 8192, 4096, (at, src, off, len) -> System.arraycopy(src, off, buf, at, len));
        assertEquals(2, queued.size(), "already requested");
        queued.forEach(Runnable::run);
        s.blob().resetCounters();
        reader.read(s.file(), cursor, CHUNK, 2 * CHUNK, (at, src, off, len) -> { });
        assertEquals(0, s.blob().reads.size(), "read ahead");
        int requested = queued.size();
        s.blob().resetCounters();
        reader.read(s.file(), new FileReader.Cursor(), 9 * CHUNK + 5, 10, (at, src, off, len) -> { });
        assertEquals(1, s.blob().reads.size(), "a random read fetches only its chunk");
        assertEquals(requested, queued.size(), "and reads nothing ahead");
    }

    @Test
    void backgroundFetchWaitsUntilReadsOfEveryLayerHaveBeenQuietForTheSilencePeriod() throws Exception {
        SourceLayer.Blob served = layer("f");
        SourceLayer.Blob other = new SourceLayer().file("g", SourceLayer.random(new Random(3), 4 * CHUNK), 0644)
                .estargz(CHUNK);
        CountDownLatch foregroundMayFinish = new CountDownLatch(1);
        long[] foregroundEnded = new long[1];
        List<String> order = java.util.Collections.synchronizedList(new ArrayList<>());
        RecordingBlob readBlob = new RecordingBlob(served.bytes()) {
            @Override
            public byte[] read(long offset, int length) throws IOException {
                order.add("foreground");
                try {
                    foregroundMayFinish.await(5, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                return super.read(offset, length);
            }
        };
        long[] firstBackground = new long[1];
        RecordingBlob backgroundBlob = new RecordingBlob(other.bytes()) {
            @Override
            public byte[] read(long offset, int length) throws IOException {
                if (firstBackground[0] == 0) {
                    firstBackground[0] = System.nanoTime();
                }
                order.add("background");
                return super.read(offset, length);
            }
        };
        ChunkCache cache = ChunkCache.builder().disk(tmp, 1 << 30, 1 << 29).build();
        Setup reading = setup(served, new RecordingBlob(served.bytes()), cache, 1);
        Setup fetching = setup(other, new RecordingBlob(other.bytes()), cache, 1);
        ChunkLoader readingLoader = new ChunkLoader("sha256:served", reading.layer(), readBlob, cache,
                reading.counters(), 1, 1, activity);
        ChunkLoader fetchingLoader = new ChunkLoader("sha256:other", fetching.layer(), backgroundBlob, cache,
                fetching.counters(), 1, 1, activity);
        Thread foreground = new Thread(() -> {
            readingLoader.loadQuietly(new FileChunk("f", reading.file().content().chunks().get(9)),
                    ChunkLoader.Purpose.FOREGROUND);
            foregroundEnded[0] = System.nanoTime();
        }, "foreground");
        foreground.start();
        while (!order.contains("foreground")) {
            Thread.sleep(5);
        }
        LayerFetcher fetcher = new LayerFetcher("sha256:other",
                new LayerTree("sha256:other", fetching.layer(), null, new TreeBudget(0, Duration.ZERO)), fetchingLoader,
                fetching.counters(), false, true, 0, activity, new java.util.concurrent.Semaphore(2),
                new java.util.concurrent.Semaphore(1));
        fetcher.mounted();
        Thread background = new Thread(fetcher, "background");
        background.start();
        Thread.sleep(500);
        assertEquals(List.of("foreground"), order, "no background request while another layer's read is fetching");
        foregroundMayFinish.countDown();
        background.join(10_000);
        foreground.join(10_000);
        assertTrue(fetching.counters().backgroundFetchDone);
        assertTrue(order.size() > 1, order.toString());
        // The read's fetch ends a moment before its loader returns: allow for that moment.
        assertTrue(firstBackground[0] - foregroundEnded[0] >= SILENCE.minusMillis(50).toNanos(),
                "background fetch started " + (firstBackground[0] - foregroundEnded[0]) / 1_000_000
                        + " ms after the read, before the silence period");
        assertEquals(FileChunk.allOf(fetching.layer().toc()).size(), fetching.counters().chunksFetched.sum(),
                "every chunk of the other layer");
    }

    /** A blob that hands ranges read piece by piece over 1000 bytes at a time, telling {@link #reached} each time. */
    private static class PieceByPieceBlob extends RecordingBlob {
        final List<ByteRange> pieceByPiece = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile Reached reached = at -> { };

        interface Reached {
            void at(long offset) throws IOException;
        }

        PieceByPieceBlob(byte[] data) {
            super(data);
        }

        @Override
        public void read(long offset, int length, Receiver receiver) throws IOException {
            byte[] range = read(offset, length);
            pieceByPiece.add(new ByteRange(offset, length));
            for (int done = 0; done < length; ) {
                ByteBuffer window = receiver.window(done, length - done);
                int start = window.position();
                int count = Math.min(Math.min(window.remaining(), 1000), length - done);
                window.put(range, done, count);
                receiver.received(window.limit(window.position()).position(start), done);
                done += count;
                reached.at(offset + done);
            }
        }
    }

    private List<FileChunk> chunksOf(Setup s) {
        return s.file().content().chunks().stream().map(c -> new FileChunk("f", c)).toList();
    }

    private byte[] expected(int chunk) {
        return Arrays.copyOfRange(content, chunk * CHUNK, Math.min(content.length, (chunk + 1) * CHUNK));
    }

    @Test
    void aSpansChunksAreServedAsTheirMembersArriveNotWhenTheSpanEnds() throws Exception {
        SourceLayer.Blob b = layer("f");
        PieceByPieceBlob blob = new PieceByPieceBlob(b.bytes());
        ChunkCache cache = ChunkCache.builder().build();
        Setup s = setup(b, blob, cache, 1);
        List<FileChunk> chunks = chunksOf(s);
        ChunkKey first = ChunkKey.of(chunks.get(0).chunk(), s.layer());
        ChunkKey last = ChunkKey.of(chunks.get(chunks.size() - 1).chunk(), s.layer());
        List<String> seen = new ArrayList<>();
        blob.reached = at -> {
            if (seen.isEmpty() && at >= chunks.get(0).chunk().memberEnd()) {
                seen.add("first served at byte " + at);
                assertArrayEquals(expected(0), cache.memoryGet(first), "the first chunk, as soon as it came");
                assertNull(cache.memoryGet(last), "the last one has not come yet");
            }
        };
        s.loader().loadRange(chunks, ChunkLoader.Purpose.PREFETCH);
        assertEquals(1, seen.size(), "checked while the span was on its way");
        assertEquals(List.of(new ByteRange(chunks.get(0).chunk().memberOffset(),
                chunks.get(chunks.size() - 1).chunk().memberEnd() - chunks.get(0).chunk().memberOffset())),
                blob.pieceByPiece, "one request for the span");
        for (int i = 0; i < chunks.size(); i++) {
            assertArrayEquals(expected(i), cache.memoryGet(ChunkKey.of(chunks.get(i).chunk(), s.layer())), "chunk " + i);
        }
        assertEquals(chunks.size(), s.counters().chunksFetched.sum());
        assertEquals(1, s.counters().blobReads.sum());
    }

    @Test
    void aSpanPassesOverCachedChunksAndABreakKeepsTheChunksThatCame() throws Exception {
        SourceLayer.Blob b = layer("f");
        PieceByPieceBlob blob = new PieceByPieceBlob(b.bytes());
        ChunkCache cache = ChunkCache.builder().disk(tmp, 1 << 30, 1 << 29).build();
        Setup s = setup(b, blob, cache, 1);
        List<FileChunk> chunks = chunksOf(s);
        s.loader().load(chunks.get(2), ChunkLoader.Purpose.FOREGROUND);
        long breakAt = chunks.get(5).chunk().memberOffset() + 10;
        List<java.util.concurrent.CompletableFuture<byte[]>> waitedOn = new ArrayList<>();
        blob.reached = at -> {
            if (at >= breakAt) {
                waitedOn.add(cache.pending(ChunkKey.of(chunks.get(6).chunk(), s.layer())));
                throw new IOException("connection reset");
            }
        };
        blob.resetCounters();
        IOException e = assertThrows(IOException.class,
                () -> s.loader().loadRange(chunks, ChunkLoader.Purpose.BACKGROUND));
        assertEquals("connection reset", e.getMessage());
        assertTrue(waitedOn.get(0).isCompletedExceptionally(), "a reader waiting on chunk 6 is told, not left waiting");
        for (int i = 0; i < chunks.size(); i++) {
            ChunkKey key = ChunkKey.of(chunks.get(i).chunk(), s.layer());
            assertEquals(i < 5, cache.diskContains(key), "chunk " + i);
            assertNull(cache.pending(key), "chunk " + i + " is not left claimed");
        }
        assertEquals(5, s.counters().chunksFetched.sum(), "chunk 2 alone, then 0, 1, 3 and 4 of the span");

        blob.reached = at -> { };
        assertArrayEquals(expected(7), s.loader().load(chunks.get(7), ChunkLoader.Purpose.FOREGROUND));
        blob.pieceByPiece.clear();
        s.loader().loadRange(chunks, ChunkLoader.Purpose.BACKGROUND);
        assertEquals(List.of(new ByteRange(chunks.get(5).chunk().memberOffset(),
                chunks.get(10).chunk().memberEnd() - chunks.get(5).chunk().memberOffset())), blob.pieceByPiece,
                "one request from the first chunk missing, over chunk 7 (cached)");
        for (int i = 0; i < chunks.size(); i++) {
            byte[] bytes = new byte[expected(i).length];
            ChunkKey key = ChunkKey.of(chunks.get(i).chunk(), s.layer());
            assertNotNull(cache.diskGet(key, bytes.length), "chunk " + i);
            assertArrayEquals(expected(i), cache.diskGet(key, bytes.length), "chunk " + i);
        }
    }
}
