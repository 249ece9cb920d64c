package io.lazysnap.estargz;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Decodes a known number of bytes from the start of a gzip member or zstd frame. */
final class Decompression {

    private Decompression() {
    }

    static InputStream open(LayerFormat format, InputStream compressed) throws IOException {
        return switch (format) {
            case ESTARGZ -> new GZIPInputStream(compressed, 64 * 1024);
            case ZSTD_CHUNKED -> new ZstdInputStreamNoFinalizer(compressed);
        };
    }

    /**
     * Skips {@code skip} uncompressed bytes of {@code member}, then returns exactly {@code length} bytes. Never
     * inflates more than {@code skip + length} bytes, so a decompression bomb costs nothing.
     *
     * @throws LayerFormatException if the data is corrupt or ends early
     */
    static byte[] decode(LayerFormat format, byte[] member, long skip, int length, String what)
            throws LayerFormatException {
        try (InputStream in = open(format, new ByteArrayInputStream(member))) {
            in.skipNBytes(skip);
            byte[] out = in.readNBytes(length);
            if (out.length != length) {
                throw new EOFException("got " + out.length + " of " + length + " bytes");
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw new LayerFormatException("cannot decompress " + what + ": " + e.getMessage(), e);
        }
    }
}
