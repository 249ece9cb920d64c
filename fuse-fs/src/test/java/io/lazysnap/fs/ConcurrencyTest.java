package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.estargz.RecordingBlob;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Many threads reading random ranges of random files of a cold mount get only correct bytes. */
class ConcurrencyTest {

    private static final int CHUNK = 64 << 10;
    private static final int THREADS = 16;

    @TempDir
    Path tmp;

    @Test
    void sixteenThreadsReadingRandomRangesGetCorrectBytes() throws Exception {
        Random random = new Random(1);
        SourceLayer source = new SourceLayer();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            names.add("f" + i);
            source.file("f" + i, SourceLayer.random(random, i % 3 == 0 ? 1000 + i : (i + 1) * 200_000 + i), 0644);
        }
        names.add("bin/many-chunks");
        names.add("bin/link-to-many");
        SourceLayer standard = SourceLayer.standard(CHUNK);
        for (ExpectedTree.Node n : ExpectedTree.of(standard.tar()).nodes.values()) {
            if (n.type() == 'f' && n.path().startsWith("bin/")) {
                source.file(n.path(), n.content(), n.mode());
            }
        }
        source.hardlink("bin/link-to-many", "bin/many-chunks");
        SourceLayer.Blob blob = source.estargz(CHUNK);
        ExpectedTree expected = ExpectedTree.of(source.tar());
        // a slow source widens the window in which threads ask for the same chunk at once
        RecordingBlob memory = new RecordingBlob(blob.bytes()) {
            @Override
            public byte[] read(long offset, int length) throws IOException {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    throw new IOException(e);
                }
                return super.read(offset, length);
            }
        };
        long chunks = FileChunk.allOf(io.lazysnap.estargz.EstargzLayer.open(memory, blob.annotations()).toc())
                .stream().map(fc -> fc.chunk().sha256()).distinct().count();
        try (TestMounts mounts = new TestMounts(tmp)) {
            MountedLayer m = mounts.mount(memory, blob.annotations(),
                    TestMounts.inMemory());
            memory.resetCounters();
            AtomicLong bytes = new AtomicLong();
            AtomicLong reads = new AtomicLong();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(8);
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                long seed = t;
                done.add(pool.submit(() -> {
                    Random r = new Random(seed);
                    while (System.nanoTime() < deadline) {
                        String name = names.get(r.nextInt(names.size()));
                        byte[] content = expected.resolve(expected.nodes.get(name)).content();
                        long off = r.nextInt(content.length + 100);
                        int len = 1 + r.nextInt(r.nextBoolean() ? 4096 : 3 * CHUNK);
                        byte[] got = FaultTest.read(m.mountpoint().resolve(name), off, len);
                        byte[] want = off >= content.length ? new byte[0]
                                : Arrays.copyOfRange(content, (int) off, (int) Math.min(content.length, off + len));
                        if (!Arrays.equals(want, got)) {
                            throw new AssertionError(name + " " + off + "+" + len + " differs");
                        }
                        bytes.addAndGet(got.length);
                        reads.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            pool.shutdown();
            LayerStats stats = m.stats();
            assertEquals(0, stats.readErrors());
            assertTrue(reads.get() > 1000, "reads: " + reads);
            assertTrue(stats.chunksFetched() <= chunks, "each chunk fetched at most once: " + stats + " of " + chunks);
            System.out.printf("%d reads, %d bytes by %d threads; %s%n", reads.get(), bytes.get(), THREADS, stats);
        }
    }
}
