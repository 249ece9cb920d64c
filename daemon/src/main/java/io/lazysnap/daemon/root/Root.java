package io.lazysnap.daemon.root;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A lazysnap state directory ({@code root} in the config) and the one place that names what is kept under it:
 *
 * <pre>
 * lazysnap.lock          held by the daemon serving the root ({@link RootLock})
 * metadata.db            the snapshot store (SQLite, WAL journal: readable while the daemon writes)
 * snapshots/&lt;id&gt;/fs     a snapshot's files (a FUSE mount for a lazily served layer), beside what the
 *                        snapshotter and the remote layer keep in snapshots/&lt;id&gt;
 * cache/                 the chunk cache (its inside is the cache's)
 * stats/                 per-layer read statistics, for lazysnap inspect
 * handover/              FUSE connections kept across restarts, and status.json for lazysnap ls
 * unpack/                layers being downloaded and unpacked (its inside is the unpacker's), and the
 *                        start-up unpack test
 * fuse-self-test/        the start-up FUSE test's mount point
 * native/                native libraries the daemon unpacked from its jar (SQLite's)
 * </pre>
 *
 * <p>{@code snapshots/} and {@code unpack/} carry ext4's top-directory flag ({@link TopDirectory}).
 */
public final class Root {

    private static final String FILES = "fs";

    private final Path dir;

    public Root(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /** The exclusive lock of a daemon serving this root; empty while another holds it. */
    public Optional<RootLock> tryLock() throws IOException {
        return RootLock.tryAcquire(lockFile());
    }

    public Path lockFile() {
        return dir.resolve("lazysnap.lock");
    }

    public Path metadata() {
        return dir.resolve("metadata.db");
    }

    public Path snapshots() {
        return dir.resolve("snapshots");
    }

    public Path snapshot(long id) {
        return snapshots().resolve(Long.toString(id));
    }

    /** A snapshot's file tree, in its snapshot directory. */
    public static Path files(Path snapshotDir) {
        return snapshotDir.resolve(FILES);
    }

    public Path cache() {
        return dir.resolve("cache");
    }

    public Path stats() {
        return dir.resolve("stats");
    }

    public Path handover() {
        return dir.resolve("handover");
    }

    /** Which mounts the running daemon took over from its predecessor, for lazysnap ls. */
    public Path handoverStatus() {
        return handover().resolve("status.json");
    }

    public Path unpack() {
        return dir.resolve("unpack");
    }

    public Path unpackSelfTest() {
        return unpack().resolve("self-test");
    }

    public Path registryWarmUp() {
        return unpack().resolve("warm-up");
    }

    /** Native libraries unpacked from the jar (SQLite's, Conscrypt's), so that none is left in /tmp. */
    public Path nativeLibraries() {
        return dir.resolve("native");
    }

    public Path fuseSelfTest() {
        return dir.resolve("fuse-self-test");
    }

    @Override
    public String toString() {
        return dir.toString();
    }
}
