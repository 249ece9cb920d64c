package io.lazysnap.bench;

import io.lazysnap.estargz.MemoryBlob;
import io.lazysnap.testkit.Processes;
import io.lazysnap.testkit.Cleanup;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.fs.ChunkCache;
import io.lazysnap.fs.LayerFs;
import io.lazysnap.fs.LayerFsOptions;
import io.lazysnap.fs.MountedLayer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The files of {@link MicroLayers#bigAndSmall} in two places: a lazysnap FUSE mount over the in-memory blob
 * ({@code fuse}), or extracted to local disk ({@code local}, the baseline). {@link #dropPageCache} makes the
 * next read reach the file system again rather than the kernel's page cache.
 */
final class ReadFixture implements AutoCloseable {

    private final boolean fuse;
    private final Path dir;
    private final byte[] blob;
    private final ExitGuard guard = ExitGuard.of(this);
    private MountedLayer mounted;

    ReadFixture(String source) throws Exception {
        this.fuse = switch (source) {
            case "fuse" -> true;
            case "local" -> false;
            default -> throw new IllegalArgumentException("source is fuse or local, not " + source);
        };
        this.dir = Files.createTempDirectory(Path.of("/tmp"), "lzs-bench-read-");
        this.blob = MicroLayers.bigAndSmall();
        if (fuse) {
            mount();
        } else {
            Path tar = dir.resolve("layer.tar.gz");
            Files.write(tar, blob);
            Processes.run("tar", "-C", Files.createDirectories(dir.resolve("root")).toString(), "-xzf",
                    tar.toString());
            Files.delete(tar);
        }
    }

    /** FUSE: a new mount with an empty cache, so the next read is cold. Local: the page cache is dropped. */
    void coldStart(String file) throws Exception {
        if (fuse) {
            mounted.close();
            mount();
        } else {
            dropPageCache(file);
        }
    }

    private void mount() throws Exception {
        Path point = Files.createDirectories(dir.resolve("root"));
        ChunkCache cache = ChunkCache.builder().memoryBytes(256L << 20).build();
        MemoryBlob source = new MemoryBlob(blob);
        mounted = LayerFs.mount("sha256:bench", source, EstargzLayer.open(source), point,
                LayerFsOptions.builder(cache).prefetch(false).backgroundFetch(false).build());
    }

    Path path(String file) {
        return dir.resolve("root").resolve(file);
    }

    /** {@code posix_fadvise(DONTNEED)} on the whole file, through GNU dd. */
    void dropPageCache(String file) throws Exception {
        Processes.run(Duration.ofSeconds(30), List.of("dd", "if=" + path(file), "iflag=nocache", "count=0",
                "status=none"));
    }

    @Override
    public void close() throws Exception {
        guard.release();
        new Cleanup().step(() -> {
            if (mounted != null) {
                mounted.close();
            }
        }).step(() -> Processes.run("rm", "-rf", "--one-file-system", dir.toString())).done();
    }
}
