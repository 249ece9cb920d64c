package io.lazysnap.estargz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A layer larger than the test JVM's heap (surefire runs with -Xmx128m) converts: input, spool and output are
 * streamed, never held in memory.
 */
class StreamingConversionTest {

    private static final long LAYER_BYTES = 160L << 20;

    @TempDir
    Path spool;

    @Test
    void convertsALayerLargerThanTheHeap() throws Exception {
        assertTrue(Runtime.getRuntime().maxMemory() < LAYER_BYTES, "heap must be smaller than the layer");
        PipedInputStream in = new PipedInputStream(1 << 20);
        PipedOutputStream producer = new PipedOutputStream(in);
        CompletableFuture<Void> generated = CompletableFuture.runAsync(() -> generate(producer));
        DigestSink sink = new DigestSink();
        ConversionResult r = LayerConverter.builder().compressionLevel(1).tempDirectory(spool)
                .prioritizedFiles(List.of("data/file-0007")).build().convert(in, sink);
        generated.join();
        assertEquals(Digests.format(sink.digest.digest()), r.blobDigest());
        assertEquals(sink.count, r.blobSize());
        assertTrue(r.uncompressedSize() > LAYER_BYTES);
        try (var files = Files.list(spool)) {
            assertEquals(0, files.count(), "the spool file is removed");
        }
    }

    /** 40 files of 8 MiB: half random, half a repeating pattern, like binaries next to text. */
    private static void generate(OutputStream out) {
        Random random = new Random(1);
        byte[] block = new byte[1 << 20];
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            for (int f = 0; f < LAYER_BYTES / (8 << 20); f++) {
                TarArchiveEntry e = new TarArchiveEntry(String.format("data/file-%04d", f));
                e.setSize(8 << 20);
                tar.putArchiveEntry(e);
                for (int i = 0; i < 8; i++) {
                    random.nextBytes(block);
                    tar.write(block, 0, i % 2 == 0 ? block.length : block.length / 2);
                    if (i % 2 != 0) {
                        tar.write(block, 0, block.length / 2);
                    }
                }
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    private static final class DigestSink extends OutputStream {
        final MessageDigest digest = Digests.sha256();
        long count;

        @Override
        public void write(int b) {
            digest.update((byte) b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            digest.update(b, off, len);
            count += len;
        }
    }
}
