package io.lazysnap.cli.inspect;

import io.lazysnap.daemon.root.Root;
import io.lazysnap.daemon.root.RootLock;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Optional;

/**
 * Empties the disk chunk cache ({@link Root#cache()}) of a root no daemon serves. Cached chunks are only copies:
 * lazily served layers fetch them from their registries again, so pruning never loses data. Snapshots are not
 * touched; containerd removes those.
 */
public final class CachePrune {

    /** What a prune freed. */
    public record Freed(long files, long bytes) {
    }

    private CachePrune() {
    }

    /** Prunes, or returns empty without touching anything when a daemon holds the root's lock. */
    public static Optional<Freed> prune(Root root) throws IOException {
        Optional<RootLock> lock = root.tryLock();
        if (lock.isEmpty()) {
            return Optional.empty();
        }
        try (RootLock held = lock.get()) {
            Path cache = root.cache();
            return Optional.of(Files.isDirectory(cache) ? deleteContents(cache) : new Freed(0, 0));
        }
    }

    private static Freed deleteContents(Path dir) throws IOException {
        long[] freed = new long[2];
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                freed[0]++;
                freed[1] += attrs.size();
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                if (!d.equals(dir)) {
                    Files.delete(d);
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return new Freed(freed[0], freed[1]);
    }
}
