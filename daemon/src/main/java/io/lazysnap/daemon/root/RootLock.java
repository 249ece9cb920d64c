package io.lazysnap.daemon.root;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

/**
 * An exclusive lock on {@code <root>/lazysnap.lock}, held by the daemon for as long as it serves that root, so that
 * neither a second daemon nor an offline tool such as {@code lazysnap cache prune} works under it. The kernel
 * releases it when the holder dies, even by {@code kill -9}.
 */
public final class RootLock implements Closeable {

    private final FileChannel channel;
    private final FileLock lock;

    private RootLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** The lock on {@code file} (its directory made if missing), or empty when a running daemon holds it. */
    static Optional<RootLock> tryAcquire(Path file) throws IOException {
        Path root = file.getParent();
        if (Files.notExists(root)) {
            Files.createDirectories(root, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            FileLock lock = channel.tryLock();
            if (lock != null) {
                return Optional.of(new RootLock(channel, lock));
            }
        } catch (OverlappingFileLockException heldHere) {
            // a daemon of this JVM serves the root
        }
        channel.close();
        return Optional.empty();
    }

    @Override
    public void close() throws IOException {
        lock.release();
        channel.close();
    }
}
