package io.lazysnap.estargz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * The fixed-size trailer that tells a reader where the TOC is.
 *
 * <ul>
 *   <li>eStargz: an empty gzip member of 51 bytes whose extra field has subfield {@code 'S','G'}, LEN 22,
 *       payload {@code %016xSTARGZ} (TOC offset in hex). The legacy stargz footer (47 bytes) has the same
 *       payload directly as the extra field.</li>
 *   <li>zstd:chunked: a skippable frame whose payload is little-endian uint64s (TOC offset, compressed size,
 *       uncompressed size, type 1) and an 8-byte magic; 40 bytes as stargz-snapshotter writes it, 64 bytes
 *       (tar-split position added before the magic) as containers/storage writes it.</li>
 * </ul>
 *
 * @param format           the layer format the footer belongs to
 * @param size             bytes the footer occupies at the end of the blob
 * @param tocOffset        blob offset of the TOC (gzip member, or compressed manifest inside its frame)
 * @param tocLength        compressed TOC length; for eStargz everything up to the footer
 * @param tocRawLength     uncompressed TOC length (zstd:chunked only, else -1)
 */
record Footer(LayerFormat format, int size, long tocOffset, long tocLength, long tocRawLength) {

    static final int ESTARGZ_SIZE = 51;
    static final int LEGACY_SIZE = 47;
    /** Enough of the blob's tail to hold any footer this class understands. */
    static final int MAX_SIZE = 8 + 64;

    private static final byte[] STARGZ = "STARGZ".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SKIPPABLE_MAGIC = {0x50, 0x2a, 0x4d, 0x18};
    /** {@code GnUlInUx}, as stargz-snapshotter and early containers/storage write it. */
    static final byte[] ZSTD_MAGIC = "GnUlInUx".getBytes(StandardCharsets.US_ASCII);
    /** {@code GNUlInUx}, as current containers/storage writes it. */
    private static final byte[] ZSTD_MAGIC_CONTAINERS = "GNUlInUx".getBytes(StandardCharsets.US_ASCII);
    private static final int ZSTD_PAYLOAD = 40;
    private static final int ZSTD_PAYLOAD_CONTAINERS = 64;
    private static final int MANIFEST_TYPE_CRFS = 1;

    /**
     * Parses the footer at the end of {@code tail}, the last bytes of a blob of {@code blobSize} bytes.
     *
     * @throws LayerFormatException if no known footer is there or it points outside the blob
     */
    static Footer parse(byte[] tail, long blobSize) throws LayerFormatException {
        Footer footer = parseZstd(tail);
        if (footer == null) {
            footer = parseGzip(tail, ESTARGZ_SIZE);
        }
        if (footer == null) {
            footer = parseGzip(tail, LEGACY_SIZE);
        }
        if (footer == null) {
            throw new LayerFormatException("blob of " + blobSize + " bytes has no eStargz, stargz or zstd:chunked"
                    + " footer (not a seekable layer, or truncated)");
        }
        long tocEnd = blobSize - footer.size;
        long length = footer.tocLength < 0 ? tocEnd - footer.tocOffset : footer.tocLength;
        if (footer.tocOffset < 0 || footer.tocOffset >= tocEnd || length <= 0 || footer.tocOffset + length > tocEnd) {
            throw new LayerFormatException(String.format(Locale.ROOT,
                    "footer puts the TOC at [%d, +%d), outside the blob's %d bytes before the footer",
                    footer.tocOffset, length, tocEnd));
        }
        return new Footer(footer.format, footer.size, footer.tocOffset, length, footer.tocRawLength);
    }

    /** Blob offset where file data ends: the TOC's gzip member, or the skippable frame holding the TOC. */
    long dataEnd() {
        return format == LayerFormat.ZSTD_CHUNKED ? tocOffset - 8 : tocOffset;
    }

    private static Footer parseGzip(byte[] tail, int size) {
        if (tail.length < size) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(tail, tail.length - size, size).slice().order(ByteOrder.LITTLE_ENDIAN);
        if ((b.get(0) & 0xff) != 0x1f || (b.get(1) & 0xff) != 0x8b || b.get(2) != 8 || (b.get(3) & 4) == 0) {
            return null;
        }
        int payloadAt;
        if (size == ESTARGZ_SIZE) {
            if (b.getShort(10) != 26 || b.get(12) != 'S' || b.get(13) != 'G' || b.getShort(14) != 22) {
                return null;
            }
            payloadAt = 16;
        } else {
            if (b.getShort(10) != 22) {
                return null;
            }
            payloadAt = 12;
        }
        byte[] payload = new byte[22];
        b.get(payloadAt, payload);
        if (!Arrays.equals(payload, 16, 22, STARGZ, 0, STARGZ.length)) {
            return null;
        }
        try {
            long offset = Long.parseUnsignedLong(new String(payload, 0, 16, StandardCharsets.US_ASCII), 16);
            return new Footer(LayerFormat.ESTARGZ, size, offset, -1, -1);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Footer parseZstd(byte[] tail) throws LayerFormatException {
        if (tail.length < 8 + ZSTD_PAYLOAD) {
            return null;
        }
        boolean magic = Arrays.equals(tail, tail.length - 8, tail.length, ZSTD_MAGIC, 0, 8)
                || Arrays.equals(tail, tail.length - 8, tail.length, ZSTD_MAGIC_CONTAINERS, 0, 8);
        if (!magic) {
            return null;
        }
        for (int payload : new int[] {ZSTD_PAYLOAD, ZSTD_PAYLOAD_CONTAINERS}) {
            int frame = tail.length - payload - 8;
            if (frame < 0) {
                continue;
            }
            ByteBuffer b = ByteBuffer.wrap(tail, frame, payload + 8).slice().order(ByteOrder.LITTLE_ENDIAN);
            if (!Arrays.equals(tail, frame, frame + 4, SKIPPABLE_MAGIC, 0, 4) || b.getInt(4) != payload) {
                continue;
            }
            long type = b.getLong(8 + 24);
            if (type != MANIFEST_TYPE_CRFS) {
                throw new LayerFormatException("zstd:chunked footer has unsupported manifest type " + type);
            }
            return new Footer(LayerFormat.ZSTD_CHUNKED, payload + 8, b.getLong(8), b.getLong(16), b.getLong(24));
        }
        throw new LayerFormatException("zstd:chunked magic found but no skippable footer frame of 40 or 64 bytes");
    }

    /** The 51-byte eStargz footer for a TOC at {@code tocOffset}. */
    static byte[] estargz(long tocOffset) {
        ByteBuffer b = ByteBuffer.allocate(ESTARGZ_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x1f, (byte) 0x8b, 8, 4, 0, 0, 0, 0, 0, (byte) 0xff});
        b.putShort((short) 26).put((byte) 'S').put((byte) 'G').putShort((short) 22);
        b.put(String.format(Locale.ROOT, "%016xSTARGZ", tocOffset).getBytes(StandardCharsets.US_ASCII));
        b.put(new byte[] {1, 0, 0, (byte) 0xff, (byte) 0xff}); // final stored block of length 0
        b.putInt(0).putInt(0); // CRC32 and ISIZE of no data
        return b.array();
    }

    /** The zstd:chunked footer frame (40-byte payload, stargz-snapshotter layout). */
    static byte[] zstdChunked(long tocOffset, long tocLength, long tocRawLength) {
        ByteBuffer b = ByteBuffer.allocate(8 + ZSTD_PAYLOAD).order(ByteOrder.LITTLE_ENDIAN);
        b.put(SKIPPABLE_MAGIC).putInt(ZSTD_PAYLOAD);
        b.putLong(tocOffset).putLong(tocLength).putLong(tocRawLength).putLong(MANIFEST_TYPE_CRFS).put(ZSTD_MAGIC);
        return b.array();
    }

    /** Wraps {@code payload} in a zstd skippable frame, which decoders pass over. */
    static byte[] skippableFrame(byte[] payload) {
        return ByteBuffer.allocate(8 + payload.length).order(ByteOrder.LITTLE_ENDIAN)
                .put(SKIPPABLE_MAGIC).putInt(payload.length).put(payload).array();
    }
}
