package io.lazysnap.daemon.unpack;

import io.lazysnap.estargz.MemoryTar;
import io.lazysnap.registry.BlobDigest;
import io.lazysnap.daemon.snapshot.FileTree;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

/**
 * Unpacks a small gzip layer holding every kind of entry the overlayfs form needs (a whiteout is a character
 * device, an opaque directory a {@code trusted.overlay} attribute; both need root), so that a node where
 * unpacking cannot work finds out once at start instead of at every layer, and so that the first pull does not
 * pay for loading and linking the unpack's code.
 */
public final class UnpackSelfTest {

    private static final byte[] CONTENT = "lazysnap unpack self-test\n".getBytes(StandardCharsets.US_ASCII);

    private UnpackSelfTest() {
    }

    /** Unpacks the test layer into {@code dir} (which must not exist) and deletes it; what failed, if anything. */
    public static Optional<String> run(Path dir) {
        try {
            byte[] tar = tar();
            ByteArrayOutputStream gzip = new ByteArrayOutputStream();
            try (GZIPOutputStream out = new GZIPOutputStream(gzip)) {
                out.write(tar);
            }
            Files.createDirectories(dir);
            try {
                LayerUnpack.unpack(new ByteArrayInputStream(gzip.toByteArray()), LayerUnpack.Compression.GZIP,
                        BlobDigest.sha256(tar), dir);
                if (!Arrays.equals(CONTENT, Files.readAllBytes(dir.resolve("d/link")))) {
                    return Optional.of("the test layer's file reads back wrong");
                }
            } finally {
                FileTree.delete(dir);
            }
            return Optional.empty();
        } catch (IOException | RuntimeException | LinkageError e) {
            return Optional.of(e.toString());
        }
    }

    private static byte[] tar() {
        return new MemoryTar().directory("d/").file("d/file", CONTENT).symlink("d/link", "file")
                .hardlink("d/hardlink", "d/file").file("d/.wh.removed", new byte[0])
                .file("d/.wh..wh..opq", new byte[0]).finish();
    }
}
