package io.lazysnap.daemon.unpack;

import io.lazysnap.estargz.EntryType;
import io.lazysnap.estargz.TarHeader;
import io.lazysnap.registry.BlobDigest;
import io.lazysnap.daemon.snapshot.FileTree;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
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
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        tar.writeBytes(header("d/", EntryType.DIR, "", 0755, 0).encode());
        tar.writeBytes(header("d/file", EntryType.REG, "", 0644, CONTENT.length).encode());
        tar.writeBytes(CONTENT);
        tar.writeBytes(new byte[TarHeader.padding(CONTENT.length)]);
        tar.writeBytes(header("d/link", EntryType.SYMLINK, "file", 0777, 0).encode());
        tar.writeBytes(header("d/hardlink", EntryType.HARDLINK, "d/file", 0644, 0).encode());
        tar.writeBytes(header("d/.wh.removed", EntryType.REG, "", 0644, 0).encode());
        tar.writeBytes(header("d/.wh..wh..opq", EntryType.REG, "", 0644, 0).encode());
        tar.writeBytes(new byte[1024]);
        return tar.toByteArray();
    }

    private static TarHeader header(String name, EntryType type, String link, int mode, long size) {
        return new TarHeader(name, type, link, mode, 0, 0, size, Instant.EPOCH, "", "", 0, 0, Map.of());
    }
}
