package io.lazysnap.daemon.unpack;

import com.github.luben.zstd.ZstdInputStream;
import io.lazysnap.registry.BlobDigest;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.Optional;
import java.util.Set;
import java.util.zip.GZIPInputStream;

/** One layer blob, decompressed and unpacked into a directory while it streams in, its diffID checked at the end. */
public final class LayerUnpack {

    /** How a layer's media type says it is compressed. */
    public enum Compression {
        NONE, GZIP, ZSTD;

        private static final Set<String> GZIP_TYPES = Set.of("application/vnd.oci.image.layer.v1.tar+gzip",
                "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
                "application/vnd.docker.image.rootfs.diff.tar.gzip",
                "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip");
        private static final Set<String> ZSTD_TYPES = Set.of("application/vnd.oci.image.layer.v1.tar+zstd",
                "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd");
        private static final Set<String> TAR_TYPES = Set.of("application/vnd.oci.image.layer.v1.tar",
                "application/vnd.oci.image.layer.nondistributable.v1.tar",
                "application/vnd.docker.image.rootfs.diff.tar");

        /** Empty for media types that are not image layers this unpacks (e.g. encrypted ones). */
        public static Optional<Compression> of(String mediaType) {
            if (GZIP_TYPES.contains(mediaType)) {
                return Optional.of(GZIP);
            }
            if (ZSTD_TYPES.contains(mediaType)) {
                return Optional.of(ZSTD);
            }
            return TAR_TYPES.contains(mediaType) ? Optional.of(NONE) : Optional.empty();
        }
    }

    private static final int BUFFER = 64 << 10;

    private LayerUnpack() {
    }

    /**
     * Unpacks {@code blob} (read to its end, so that a digest-checking stream checks it) into {@code root}.
     *
     * @return what was unpacked; its diffID has been checked against {@code diffId}
     * @throws IOException naming what was wrong: a malformed or hostile tar, a wrong diffID, a failed download
     */
    public static TarUnpacker.Result unpack(InputStream blob, Compression compression, String diffId, Path root)
            throws IOException {
        MessageDigest sha256 = BlobDigest.newSha256();
        InputStream decompressed = switch (compression) {
            case GZIP -> new GZIPInputStream(blob, BUFFER);
            case ZSTD -> new BufferedInputStream(new ZstdInputStream(blob), BUFFER);
            case NONE -> new BufferedInputStream(blob, BUFFER);
        };
        // The tar is decompressed and hashed on a thread of its own, which also reads it to its end.
        try (ReadAhead tar = new ReadAhead(new DigestInputStream(decompressed, sha256), "layer-decompress")) {
            TarUnpacker.Result result = new TarUnpacker(root).unpack(tar);
            tar.transferTo(OutputStream.nullOutputStream()); // the end-of-archive blocks count towards the diffID
            blob.transferTo(OutputStream.nullOutputStream()); // anything after the last gzip member counts towards the digest
            String actual = BlobDigest.format(sha256.digest());
            if (!actual.equals(diffId)) {
                throw new IOException("the layer unpacked to diffID " + actual + " but the image config says "
                        + diffId);
            }
            return result;
        }
    }
}
