package io.lazysnap.registry;

import io.lazysnap.testkit.Registry;
import io.lazysnap.testkit.FaultProxy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A lazy read costs what it reads, a suffix range included: bytes counted at a proxy in front of a real registry
 * holding a large blob.
 */
class RealRegistryLazyTransferTest {

    private static final long SIZE = 200L << 20;
    private static final int READ = 64 << 10;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 120, unit = TimeUnit.SECONDS)
    void reading64KiBFromTheMiddleOfA200MiBBlobTransfersAbout64KiB() throws Exception {
        Path file = writePattern(dir.resolve("big.bin"));
        try (Registry registry = Registry.start(dir);
             FaultProxy proxy = FaultProxy.start(registry.host())) {
            Descriptor blob;
            try (RegistryClient direct = RegistryClient.builder().plainHttp(registry.host()).build()) {
                blob = direct.pushBlob(Reference.parse(registry.host() + "/lazy/big"), MediaTypes.OCI_LAYER_GZIP,
                        file);
            }
            assertEquals(SIZE, blob.size());
            long offset = SIZE / 2 + 12_345;
            byte[] bytes;
            try (RegistryClient client = RegistryClient.builder().plainHttp(proxy.host()).build()) {
                bytes = client.blobSource(Reference.parse(proxy.host() + "/lazy/big"), blob).read(offset, READ);
            }
            byte[] expected = new byte[READ];
            for (int i = 0; i < READ; i++) {
                expected[i] = patternAt(offset + i);
            }
            assertArrayEquals(expected, bytes);
            assertEquals(1, proxy.requests());
            // The range itself plus one response head: a few hundred bytes, nothing of the other 200 MiB.
            assertTrue(proxy.bytesSent() >= READ && proxy.bytesSent() < READ + 2048,
                    proxy.bytesSent() + " bytes sent for a " + READ + "-byte read");

            // The blob's end and size by one suffix range, before any descriptor: what a CRI Prepare reads while
            // the manifest is on its way.
            BlobTail tail;
            try (RegistryClient client = RegistryClient.builder().plainHttp(proxy.host()).build()) {
                tail = client.tail(Reference.parse(proxy.host() + "/lazy/big"), blob.digest(), 4096).orElseThrow();
            }
            assertEquals(SIZE, tail.size());
            for (int i = 0; i < 4096; i++) {
                assertEquals(patternAt(SIZE - 4096 + i), tail.bytes()[i], "byte " + (SIZE - 4096 + i));
            }
            assertEquals(2, proxy.requests());
            assertTrue(proxy.bytesSent() < READ + 4096 + 4096, proxy.bytesSent() + " bytes sent in all");
        }
    }

    /** Byte {@code p} of the blob: each aligned 8-byte word holds its own offset, so any range is checkable. */
    private static byte patternAt(long p) {
        return (byte) ((p & ~7L) >>> (8 * (7 - (p & 7))));
    }

    /** Streams the {@link #patternAt pattern} to a file a megabyte at a time; it is never held in memory. */
    private static Path writePattern(Path file) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long word = 0; word < SIZE; word += 8) {
                buffer.putLong(word);
                if (!buffer.hasRemaining()) {
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        out.write(buffer);
                    }
                    buffer.clear();
                }
            }
        }
        return file;
    }
}
