package io.lazysnap.estargz;

/** Layer-descriptor annotation keys the ecosystem uses for seekable layers. */
public final class LayerAnnotations {

    /** sha256 of the uncompressed TOC JSON; containerd/stargz-snapshotter's trust anchor for the TOC. */
    public static final String TOC_DIGEST = "containerd.io/snapshot/stargz/toc.digest";

    /** Size of the decompressed layer (the diffID stream), needed by containers/storage. */
    public static final String UNCOMPRESSED_SIZE = "io.containers.estargz.uncompressed-size";

    /** sha256 of the zstd-compressed TOC (manifest), as written by stargz-snapshotter. */
    public static final String ZSTD_MANIFEST_CHECKSUM = "io.containers.zstd-chunked.manifest-checksum";

    /** {@code offset:compressedLength:uncompressedLength:type} of the zstd:chunked TOC. */
    public static final String ZSTD_MANIFEST_POSITION = "io.containers.zstd-chunked.manifest-position";

    /** The same checksum under the key containers/storage (podman, buildah) writes. */
    public static final String ZSTD_MANIFEST_CHECKSUM_CONTAINERS =
            "io.github.containers.zstd-chunked.manifest-checksum";

    /** The same position under the key containers/storage writes. */
    public static final String ZSTD_MANIFEST_POSITION_CONTAINERS =
            "io.github.containers.zstd-chunked.manifest-position";

    private LayerAnnotations() {
    }

    /**
     * Whether {@code annotations} carry a digest a TOC can be verified against: without one, {@link EstargzLayer#open}
     * could only give an unverified TOC ({@link EstargzLayer#tocVerified()} false).
     */
    public static boolean vouchForToc(java.util.Map<String, String> annotations) {
        return annotations.containsKey(TOC_DIGEST) || annotations.containsKey(ZSTD_MANIFEST_CHECKSUM)
                || annotations.containsKey(ZSTD_MANIFEST_CHECKSUM_CONTAINERS);
    }
}
