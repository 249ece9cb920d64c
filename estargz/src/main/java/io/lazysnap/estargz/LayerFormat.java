package io.lazysnap.estargz;

/** The two seekable layer encodings this module reads and writes. */
public enum LayerFormat {
    /** eStargz: concatenated gzip members, TOC as the last tar entry, 51-byte gzip footer. */
    ESTARGZ("application/vnd.oci.image.layer.v1.tar+gzip"),
    /** zstd:chunked: concatenated zstd frames, TOC and footer in skippable frames. */
    ZSTD_CHUNKED("application/vnd.oci.image.layer.v1.tar+zstd");

    private final String mediaType;

    LayerFormat(String mediaType) {
        this.mediaType = mediaType;
    }

    /** The OCI media type a layer descriptor of this format carries. */
    public String mediaType() {
        return mediaType;
    }
}
