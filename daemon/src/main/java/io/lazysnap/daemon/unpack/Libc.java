package io.lazysnap.daemon.unpack;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;

/** The calls an unpack needs that {@code java.nio.file} lacks: device nodes and extended attributes of any name. */
final class Libc {

    /** The C functions, as glibc exports them. */
    public interface C {
        int mknod(byte[] path, int mode, long dev);

        int symlink(byte[] target, byte[] linkPath);

        int chmod(byte[] path, int mode);

        int lchown(byte[] path, int uid, int gid);

        int utimensat(int dirFd, byte[] path, @In long[] times, int flags);

        int faccessat(int dirFd, byte[] path, int mode, int flags);

        int lsetxattr(byte[] path, byte[] name, byte[] value, long size, int flags);

        String strerror(int errno);
    }

    static final int S_IFIFO = 0010000;
    static final int S_IFCHR = 0020000;
    static final int S_IFBLK = 0060000;
    static final int ENOTSUP = 95;
    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int F_OK = 0;
    static final int EPERM = 1;

    private static final C LIBC = LibraryLoader.create(C.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private Libc() {
    }

    static void mknod(Path path, int mode, int major, int minor) throws IOException {
        if (LIBC.mknod(cString(path.toString()), mode, makedev(major, minor)) < 0) {
            throw failure("mknod " + path, RUNTIME.getLastError());
        }
    }

    static void symlink(String target, Path link) throws IOException {
        if (LIBC.symlink(cString(target), cString(link.toString())) < 0) {
            throw failure("symlink " + link, RUNTIME.getLastError());
        }
    }

    /** Path-based: {@code java.nio.file} opens the file to change its mode or times, which blocks on a FIFO. */
    static void chmod(Path path, int mode) throws IOException {
        if (LIBC.chmod(cString(path.toString()), mode) < 0) {
            throw failure("chmod " + path, RUNTIME.getLastError());
        }
    }

    static void lchown(Path path, int uid, int gid) throws IOException {
        if (LIBC.lchown(cString(path.toString()), uid, gid) < 0) {
            throw failure("lchown " + path, RUNTIME.getLastError());
        }
    }

    /** Whether {@code path} itself exists (a dangling symlink does): no exception thrown for the common "no". */
    static boolean exists(Path path) {
        return LIBC.faccessat(AT_FDCWD, cString(path.toString()), F_OK, AT_SYMLINK_NOFOLLOW) == 0;
    }

    /** Sets access and modification time of {@code path} itself (not of a symlink's target). */
    static void setTimes(Path path, Instant time) throws IOException {
        long[] times = {time.getEpochSecond(), time.getNano(), time.getEpochSecond(), time.getNano()};
        if (LIBC.utimensat(AT_FDCWD, cString(path.toString()), times, AT_SYMLINK_NOFOLLOW) < 0) {
            throw failure("utimensat " + path, RUNTIME.getLastError());
        }
    }

    /** Sets an extended attribute of {@code path} itself (not of a symlink's target); the errno on failure, else 0. */
    static int lsetxattr(Path path, String name, byte[] value) {
        int result = LIBC.lsetxattr(cString(path.toString()), cString(name), value, value.length, 0);
        return result < 0 ? RUNTIME.getLastError() : 0;
    }

    static IOException failure(String what, int errno) {
        return new IOException(what + " failed: " + LIBC.strerror(errno));
    }

    /** glibc's {@code makedev}: the Linux 12-bit major / 20-bit minor split, spread over a 64-bit dev_t. */
    static long makedev(int major, int minor) {
        long ma = major & 0xffffffffL;
        long mi = minor & 0xffffffffL;
        return (ma & 0xfffff000L) << 32 | (ma & 0xfffL) << 8 | (mi & 0xffffff00L) << 12 | mi & 0xffL;
    }

    private static byte[] cString(String s) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(utf8, utf8.length + 1);
    }
}
