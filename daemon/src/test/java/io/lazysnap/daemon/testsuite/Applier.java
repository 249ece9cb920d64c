package io.lazysnap.daemon.testsuite;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/** A change to a directory tree, applied identically to a plain directory and to a mounted snapshot. */
@FunctionalInterface
interface Applier {

    void apply(Path root) throws IOException;

    static Applier all(Applier... steps) {
        return root -> {
            for (Applier step : steps) {
                step.apply(root);
            }
        };
    }

    static Applier createFile(String path, String content, int mode) {
        return root -> {
            Path p = resolve(root, path);
            Files.writeString(p, content);
            Files.setPosixFilePermissions(p, permissions(mode));
        };
    }

    static Applier createDir(String path, int mode) {
        return root -> {
            Path p = resolve(root, path);
            if (!Files.isDirectory(p)) {
                Files.createDirectory(p);
            }
            Files.setPosixFilePermissions(p, permissions(mode));
        };
    }

    static Applier removeAll(String path) {
        return root -> TreeAssert.deleteRecursively(resolve(root, path));
    }

    static Applier chown(String path, int uid, int gid) {
        return root -> {
            Path p = resolve(root, path);
            Files.setAttribute(p, "unix:uid", uid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
            Files.setAttribute(p, "unix:gid", gid, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        };
    }

    static Applier link(String existing, String link) {
        return root -> Files.createLink(resolve(root, link), resolve(root, existing));
    }

    static Applier symlink(String target, String link) {
        return root -> Files.createSymbolicLink(resolve(root, link), Path.of(target));
    }

    /** rename(2), falling back like mv(1) on EXDEV, which overlayfs returns for directories from a lower layer. */
    static Applier rename(String from, String to) {
        return root -> {
            try {
                Files.move(resolve(root, from), resolve(root, to), StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException crossDevice) {
                Files.move(resolve(root, from), resolve(root, to), StandardCopyOption.REPLACE_EXISTING);
            }
        };
    }

    private static Path resolve(Path root, String path) {
        return root.resolve(path.startsWith("/") ? path.substring(1) : path);
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] bits = PosixFilePermission.values(); // OWNER_READ .. OTHERS_EXECUTE, high bit first
        for (int i = 0; i < 9; i++) {
            if ((mode & (1 << (8 - i))) != 0) {
                set.add(bits[i]);
            }
        }
        return set;
    }
}
