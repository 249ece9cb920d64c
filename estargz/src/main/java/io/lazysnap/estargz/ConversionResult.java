package io.lazysnap.estargz;

import java.util.Map;

/**
 * What a conversion produced: the identity of the written blob and what its layer descriptor and image config
 * need.
 *
 * @param blobDigest       {@code sha256:} of the compressed blob (the descriptor's digest)
 * @param blobSize         compressed size in bytes (the descriptor's size)
 * @param diffId           {@code sha256:} of the uncompressed tar stream (the config's {@code rootfs.diff_ids})
 * @param tocDigest        {@code sha256:} of the uncompressed TOC JSON
 * @param uncompressedSize size of the uncompressed tar stream
 * @param annotations      the layer descriptor annotations (TOC digest, uncompressed size, zstd manifest keys)
 */
public record ConversionResult(LayerFormat format, String blobDigest, long blobSize, String diffId, String tocDigest,
                               long uncompressedSize, Map<String, String> annotations) {

    public ConversionResult {
        annotations = Map.copyOf(annotations);
    }

    public String mediaType() {
        return format.mediaType();
    }
}
