package io.lazysnap.estargz;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.GZIPInputStream;

/** Decodes a known number of bytes from the start of a gzip member or zstd frame. */
final class Decompression {

    private static final int MAX_INPUT_BUFFER = 64 * 1024;
    /** Outputs up to this size (eStargz's default chunk is 4 MiB) are allocated once, at their stated size. */
    private static final int PREALLOCATED_OUTPUT = 8 << 20;

    private Decompression() {
    }

    static InputStream open(LayerFormat format, InputStream compressed) throws IOException {
        return open(format, compressed, MAX_INPUT_BUFFER);
    }

    /** {@code inputBuffer}: the most compressed bytes handed to the inflater at once (no more than there are). */
    private static InputStream open(LayerFormat format, InputStream compressed, int inputBuffer) throws IOException {
        return switch (format) {
            case ESTARGZ -> new GZIPInputStream(compressed, inputBuffer);
            case ZSTD_CHUNKED -> new ZstdInputStreamNoFinalizer(compressed);
        };
    }

    /**
     * Skips {@code skip} uncompressed bytes of the member at {@code [memberOffset, memberOffset + memberLength)} of
     * {@code member}, then returns exactly {@code length} bytes. Never inflates more than {@code skip + length}
     * bytes, so a decompression bomb costs nothing.
     *
     * @throws LayerFormatException if the data is corrupt or ends early
     */
    static byte[] decode(LayerFormat format, byte[] member, int memberOffset, int memberLength, long skip, int length,
                         String what) throws LayerFormatException {
        // Sized exactly: a small file's chunk does not cost a 64 KiB input buffer, nor its output twice its size.
        try (InputStream in = open(format, new ByteArrayInputStream(member, memberOffset, memberLength),
                Math.max(1, Math.min(MAX_INPUT_BUFFER, memberLength)))) {
            in.skipNBytes(skip);
            byte[] out;
            int read;
            if (length <= PREALLOCATED_OUTPUT) {
                out = new byte[length];
                read = in.readNBytes(out, 0, length);
            } else {
                out = in.readNBytes(length); // grows with what the data really holds, whatever the TOC claims
                read = out.length;
            }
            if (read != length) {
                throw new EOFException("got " + read + " of " + length + " bytes");
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw new LayerFormatException("cannot decompress " + what + ": " + e.getMessage(), e);
        }
    }
}
