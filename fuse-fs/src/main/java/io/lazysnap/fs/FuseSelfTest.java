package io.lazysnap.fs;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.ConversionResult;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.estargz.LayerConverter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

/**
 * Mounts a tiny eStargz layer built in memory, reads its one file through the kernel and unmounts it: proof that
 * this node can serve layers (device, libfuse, the kernel's FUSE and the mount helpers all work), done once at
 * start-up. It also loads and links everything a mount needs (libfuse's binding, the TOC parser, the read path),
 * so the first image's Prepare does not pay for that: a quarter of a second on a 2-core node.
 */
public final class FuseSelfTest {

    static final String FILE = "lazysnap-self-test";
    private static final byte[] CONTENT = "lazysnap serves layers through FUSE on this node\n"
            .getBytes(StandardCharsets.US_ASCII);

    private FuseSelfTest() {
    }

    /**
     * Runs the test at {@code mountpoint}, an empty directory (created if missing) that is empty again afterwards.
     *
     * @throws IOException saying what failed: the mount, the read, or bytes that differ
     */
    public static void run(Path mountpoint) throws IOException {
        ByteArrayOutputStream blob = new ByteArrayOutputStream();
        ConversionResult converted = LayerConverter.builder().build()
                .convert(new ByteArrayInputStream(tar(FILE, CONTENT)), blob);
        BlobSource source = new ArrayBlob(blob.toByteArray());
        EstargzLayer layer = EstargzLayer.open(source, converted.annotations());
        byte[] expected = CONTENT;
        LayerFsOptions options = LayerFsOptions.builder(ChunkCache.builder().memoryBytes(1 << 20).build())
                .prefetch(false).backgroundFetch(false).readAheadBytes(0).build();
        Files.createDirectories(mountpoint);
        try (MountedLayer mounted = LayerFs.mount(converted.blobDigest(), source, layer, mountpoint, options)) {
            byte[] read = Files.readAllBytes(mounted.mountpoint().resolve(FILE));
            if (!Arrays.equals(expected, read)) {
                throw new IOException("a file read through the FUSE mount at " + mountpoint + " returned "
                        + read.length + " bytes that differ from the layer's " + expected.length);
            }
        }
    }

    /** A ustar archive of one regular file (what the converter reads). */
    static byte[] tar(String name, byte[] content) {
        byte[] header = new byte[512];
        put(header, 0, name);
        put(header, 100, "0000644");
        put(header, 108, "0000000");
        put(header, 116, "0000000");
        put(header, 124, String.format(Locale.ROOT, "%011o", content.length));
        put(header, 136, "00000000000");
        header[156] = '0';
        put(header, 257, "ustar");
        put(header, 263, "00");
        Arrays.fill(header, 148, 156, (byte) ' ');
        int sum = 0;
        for (byte b : header) {
            sum += b & 0xff;
        }
        put(header, 148, String.format(Locale.ROOT, "%06o", sum));
        int padded = (content.length + 511) / 512 * 512;
        byte[] tar = new byte[512 + padded + 1024];
        System.arraycopy(header, 0, tar, 0, 512);
        System.arraycopy(content, 0, tar, 512, content.length);
        return tar;
    }

    private static void put(byte[] header, int at, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(bytes, 0, header, at, bytes.length);
    }

    /** A blob held in memory. */
    private record ArrayBlob(byte[] bytes) implements BlobSource {
        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public byte[] read(long offset, int length) throws IOException {
            if (offset < 0 || length < 0 || offset + length > bytes.length) {
                throw new EOFException("range " + offset + "+" + length + " is outside " + bytes.length + " bytes");
            }
            return Arrays.copyOfRange(bytes, (int) offset, (int) offset + length);
        }
    }
}
