package io.lazysnap.estargz;

import java.io.IOException;

/**
 * Decompresses and verifies a layer's chunks. Needs only the layer's format and whether its TOC was verified, not
 * the TOC: whoever keeps chunks coming for a long time (a mounted layer) need not keep the whole TOC for it.
 */
public final class ChunkDecoder {

    private final LayerFormat format;
    private final boolean tocVerified;

    ChunkDecoder(LayerFormat format, boolean tocVerified) {
        this.format = format;
        this.tocVerified = tocVerified;
    }

    /**
     * The chunk from its member at {@code [offset, offset + length)} of {@code span}: the member's bytes, or a
     * request's that fetched several members at once.
     *
     * @throws DigestMismatchException if the bytes do not hash to the chunk digest, or a verified TOC gave none
     */
    public byte[] decode(Chunk chunk, byte[] span, int offset, int length) throws IOException {
        if (chunk.size() > EstargzLayer.MAX_CHUNK_BYTES) {
            throw new LayerFormatException("chunk of " + chunk.size() + " bytes exceeds "
                    + EstargzLayer.MAX_CHUNK_BYTES);
        }
        String what = "chunk at " + chunk.memberOffset() + "+" + chunk.innerOffset();
        byte[] data = Decompression.decode(format, span, offset, length, chunk.innerOffset(), (int) chunk.size(),
                what);
        if (chunk.sha256() == null) {
            if (tocVerified) {
                throw new DigestMismatchException(what + " has no digest in a verified TOC");
            }
            return data;
        }
        Sha256 actual = Sha256.hash(data);
        if (!actual.equals(chunk.sha256())) {
            throw new DigestMismatchException(what + " hashes to " + actual + ", TOC says " + chunk.sha256());
        }
        return data;
    }
}
