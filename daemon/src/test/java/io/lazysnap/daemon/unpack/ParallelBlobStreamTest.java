package io.lazysnap.daemon.unpack;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParallelBlobStreamTest {

    private static final int CHUNK = 64 << 10;
    private final FetchPool pool = new FetchPool(3);
    @TempDir
    Path tmp;
    private final byte[] blob = new byte[CHUNK * 10 + 123];

    {
        new Random(7).nextBytes(blob);
    }

    @AfterEach
    void spoolIsGone() throws IOException {
        pool.close();
        try (var left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "the spool file is deleted on close");
        }
    }

    /** A registry holding {@link #blob}, counting requests, optionally ignoring ranges or flipping a byte. */
    private final class Registry implements ParallelBlobStream.Blob {
        final AtomicInteger ranges = new AtomicInteger();
        final AtomicInteger streams = new AtomicInteger();
        final Set<Long> offsets = ConcurrentHashMap.newKeySet();
        volatile boolean ignoresRanges;
        volatile long corruptAt = -1;
        volatile long failAt = -1;

        @Override
        public void range(long offset, int length, FileChannel spool) throws IOException {
            ranges.incrementAndGet();
            offsets.add(offset);
            if (offset == failAt) {
                throw new IOException("HTTP 503 for bytes " + offset);
            }
            byte[] bytes = Arrays.copyOfRange(blob, (int) offset, (int) offset + length);
            if (corruptAt >= offset && corruptAt < offset + length) {
                bytes[(int) (corruptAt - offset)] ^= 1;
            }
            spool.write(ByteBuffer.wrap(bytes), offset);
        }

        @Override
        public boolean ignoresRanges() {
            return ignoresRanges;
        }

        @Override
        public InputStream stream() {
            streams.incrementAndGet();
            return new ByteArrayInputStream(blob);
        }
    }

    private ParallelBlobStream stream(Registry registry, AtomicLong progress) throws Exception {
        return new ParallelBlobStream("blob", blob.length, digest(blob), registry, pool, CHUNK, 4,
                tmp.resolve("blob"), progress::addAndGet);
    }

    @Test
    void readsTheBlobInOrderThroughConcurrentRanges() throws Exception {
        Registry registry = new Registry();
        AtomicLong progress = new AtomicLong();
        try (InputStream in = stream(registry, progress)) {
            assertArrayEquals(blob, in.readAllBytes());
        }
        assertEquals(11, registry.ranges.get(), "one request per chunk");
        assertEquals(blob.length, progress.get());
    }

    @Test
    void aWrongByteFailsAtTheEnd() throws Exception {
        Registry registry = new Registry();
        registry.corruptAt = CHUNK * 5 + 17;
        try (InputStream in = stream(registry, new AtomicLong())) {
            IOException e = assertThrows(IOException.class, in::readAllBytes);
            assertTrue(e.getMessage().contains("has digest"), e.getMessage());
        }
    }

    @Test
    void aFailedRangeFailsTheRead() throws Exception {
        Registry registry = new Registry();
        registry.failAt = CHUNK * 2L;
        try (InputStream in = stream(registry, new AtomicLong())) {
            IOException e = assertThrows(IOException.class, in::readAllBytes);
            assertTrue(e.getMessage().contains("503"), e.getMessage());
        }
    }

    @Test
    void aRegistryIgnoringRangesIsReadAsOneStream() throws Exception {
        Registry registry = new Registry();
        registry.ignoresRanges = true; // learnt from the first answer
        try (InputStream in = stream(registry, new AtomicLong())) {
            assertArrayEquals(blob, in.readAllBytes());
        }
        assertEquals(1, registry.streams.get());
        assertTrue(registry.ranges.get() < 11, "not every chunk requested by range: " + registry.ranges.get());
    }

    @Test
    void closingEarlyStopsTheDownload() throws Exception {
        Registry registry = new Registry();
        try (InputStream in = stream(registry, new AtomicLong())) {
            assertEquals(CHUNK + 1, in.readNBytes(CHUNK + 1).length);
        }
        Thread.sleep(200);
        int after = registry.ranges.get();
        Thread.sleep(200);
        assertEquals(after, registry.ranges.get(), "no requests once closed");
    }

    @Test
    void unpacksAMultiMemberGzipLayerAndChecksTheDiffId() throws Exception {
        byte[] tar = new Tars().file("a", "first member\n").file("b", "x".repeat(200_000)).bytes();
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        int split = 1536; // two gzip members, as eStargz and pigz write
        for (byte[] part : new byte[][] {Arrays.copyOfRange(tar, 0, split), Arrays.copyOfRange(tar, split, tar.length)}) {
            try (GZIPOutputStream member = new GZIPOutputStream(gz) {
                @Override
                public void close() throws IOException {
                    finish(); // leave gz open for the next member
                }
            }) {
                member.write(part);
            }
        }
        byte[] layer = gz.toByteArray();
        java.nio.file.Path root = java.nio.file.Files.createTempDirectory("unpack");
        try {
            TarUnpacker.Result result = LayerUnpack.unpack(new ByteArrayInputStream(layer), LayerUnpack.Compression.GZIP,
                    digest(tar), root);
            assertEquals(2, result.entries());
            assertEquals(200_000, java.nio.file.Files.size(root.resolve("b")));
            java.nio.file.Path other = java.nio.file.Files.createTempDirectory("unpack");
            IOException e = assertThrows(IOException.class, () -> LayerUnpack.unpack(new ByteArrayInputStream(layer),
                    LayerUnpack.Compression.GZIP, "sha256:" + "0".repeat(64), other));
            assertTrue(e.getMessage().contains("diffID"), e.getMessage());
        } finally {
            new ProcessBuilder("rm", "-rf", root.toString()).start().waitFor();
        }
    }

    static String digest(byte[] bytes) throws Exception {
        return "sha256:" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
