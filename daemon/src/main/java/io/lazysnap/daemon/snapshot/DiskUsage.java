package io.lazysnap.daemon.snapshot;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashSet;
import java.util.Set;

/** Measures a directory tree the way containerd does: each inode counted once, hardlinks included. */
final class DiskUsage {

    private DiskUsage() {
    }

    static Usage of(Path root) {
        Set<Object> seen = new HashSet<>();
        long[] size = {0};
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    count(attrs);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    count(attrs);
                    return FileVisitResult.CONTINUE;
                }

                private void count(BasicFileAttributes attrs) {
                    if (seen.add(attrs.fileKey())) {
                        size[0] += attrs.size();
                    }
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("measuring disk usage of " + root, e);
        }
        return new Usage(size[0], seen.size());
    }
}
