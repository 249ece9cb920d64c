package io.lazysnap.daemon.root;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Arrays;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Runtime;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.byref.IntByReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Marks a directory as the top of unrelated trees for ext4's Orlov allocator ({@code FS_TOPDIR_FL},
 * {@code chattr +T}), as {@code /home} is: its new subdirectories are then spread over the file system's block
 * groups (to the emptier ones, rarely the one a tree was just removed from) rather than kept in its own.
 *
 * <p>Snapshot trees are made and removed thousands of files at a time. On ext4 without a journal, a new inode is
 * not given a number freed in the last minute (six, while its inode table block is unwritten) if another is free,
 * and the allocator checks such numbers one by one for every file it creates: a Debian rootfs (7,446 entries)
 * unpacked into the block group of a snapshot just removed took 3.1 s, spread out 0.38 s. Other file systems refuse
 * or ignore the flag, and a JVM that cannot load jnr-ffi's stub goes without it; neither costs more than that.
 */
public final class TopDirectory {

    private static final Logger log = LoggerFactory.getLogger(TopDirectory.class);
    private static final int O_RDONLY = 0;
    private static final int O_CLOEXEC = 02000000;
    /** {@code _IOR('f', 1, long)} and {@code _IOW('f', 2, long)}; the kernel reads and writes an int. */
    private static final long FS_IOC_GETFLAGS = 0x80086601L;
    private static final long FS_IOC_SETFLAGS = 0x40086602L;
    private static final int FS_TOPDIR_FL = 0x00020000;

    /** libc's entry points, as jnr-ffi binds them. */
    public interface C {
        int open(@In byte[] path, int flags);

        int ioctl(int fd, long request, @In @Out IntByReference flags);

        int close(int fd);

        String strerror(int errno);
    }

    /** Loaded at first use: the snapshotter must start even where jnr-ffi cannot. */
    private static final class Libc {
        static final C LIBC = LibraryLoader.create(C.class).load("c");
        static final Runtime RUNTIME = Runtime.getRuntime(LIBC);
    }

    private TopDirectory() {
    }

    /** Sets the flag on the directory {@code dir} if its file system has it; logs why not at DEBUG otherwise. */
    public static void mark(Path dir) {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            log.debug("{} is not a directory: not marking it a top directory", dir);
            return;
        }
        try {
            setFlag(dir);
        } catch (LinkageError | RuntimeException e) {
            log.debug("cannot mark {} a top directory: {}", dir, e.toString());
        }
    }

    private static void setFlag(Path dir) {
        C libc = Libc.LIBC;
        byte[] utf8 = dir.toString().getBytes(StandardCharsets.UTF_8);
        int fd = libc.open(Arrays.copyOf(utf8, utf8.length + 1), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            log.debug("cannot open {} to mark it a top directory: {}", dir, lastError());
            return;
        }
        try {
            IntByReference flags = new IntByReference();
            if (libc.ioctl(fd, FS_IOC_GETFLAGS, flags) < 0) {
                log.debug("{} keeps no inode flags ({}): its subdirectories go where its file system puts them", dir,
                        lastError());
            } else if ((flags.intValue() & FS_TOPDIR_FL) == 0
                    && libc.ioctl(fd, FS_IOC_SETFLAGS, new IntByReference(flags.intValue() | FS_TOPDIR_FL)) < 0) {
                log.debug("{} cannot be marked a top directory ({})", dir, lastError());
            }
        } finally {
            libc.close(fd);
        }
    }

    private static String lastError() {
        return Libc.LIBC.strerror(Libc.RUNTIME.getLastError());
    }
}
