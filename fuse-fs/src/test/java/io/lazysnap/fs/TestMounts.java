package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lazysnap.estargz.RecordingBlob;
import io.lazysnap.estargz.EstargzLayer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Mounts layers under one temporary directory and always takes them down again: {@link #close()} unmounts
 * everything (lazily if it must) and fails if any mount under the directory survived.
 */
final class TestMounts implements AutoCloseable {

    private final Path root;
    private final List<MountedLayer> mounted = new ArrayList<>();
    private int next;

    TestMounts(Path root) throws IOException {
        this.root = Files.createDirectories(root);
        // other uids must reach the mounts: @TempDir directories are 0700
        Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    Path newDirectory(String name) throws IOException {
        return Files.createDirectories(root.resolve(name + "-" + next++));
    }

    /** Options with a fresh memory-only cache. */
    static LayerFsOptions inMemory() {
        try {
            return LayerFsOptions.builder(ChunkCache.builder().build()).build();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    MountedLayer mount(SourceLayer.Blob blob, LayerFsOptions options) throws IOException {
        return mount(new RecordingBlob(blob.bytes()), blob.annotations(), options);
    }

    MountedLayer mount(RecordingBlob blob, Map<String, String> annotations, LayerFsOptions options) throws IOException {
        return mount(blob, EstargzLayer.open(blob, annotations), options);
    }

    MountedLayer mount(RecordingBlob blob, EstargzLayer layer, LayerFsOptions options) throws IOException {
        return mount(blob, layer, null, options);
    }

    /** A layer whose tree may be dropped, opened again through {@code reopener}. */
    MountedLayer mount(RecordingBlob blob, EstargzLayer layer, LayerReopener reopener, LayerFsOptions options)
            throws IOException {
        MountedLayer m = LayerFs.start("sha256:" + "ab".repeat(32), blob, layer, reopener, options)
                .mount(newDirectory("mnt"));
        mounted.add(m);
        return m;
    }

    @Override
    public void close() throws IOException {
        List<MountedLayer> reversed = new ArrayList<>(mounted);
        Collections.reverse(reversed);
        for (MountedLayer m : reversed) {
            m.close();
        }
        List<String> left = mountsUnder(root);
        for (String mp : left) {
            new ProcessBuilder("umount", "-l", mp).inheritIO().start();
        }
        assertEquals(List.of(), left, "mounts left behind");
    }

    /** Mount points under a directory, from {@code /proc/self/mountinfo}, innermost first. */
    static List<String> mountsUnder(Path dir) throws IOException {
        List<String> found = new ArrayList<>();
        String prefix = dir.toAbsolutePath().toString();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
            String mp = line.split(" ")[4].replace("\\040", " ");
            if (mp.startsWith(prefix)) {
                found.add(0, mp);
            }
        }
        return found;
    }
}
