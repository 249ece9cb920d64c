package io.lazysnap.daemon.root;

import java.nio.charset.StandardCharsets;
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
 * {@code chattr +T}), as {@code /home} is: each new subdirectory then starts in a block group of its own rather
 * than in its parent's.
 *
 * <p>Snapshot trees are made and removed thousands of files at a time. On ext4 without a journal, a new inode is
 * not given a number freed in the last minute (five, while its inode table block is unwritten) if another is free,
 * and the allocator checks such numbers one by one for every file it creates: a Debian rootfs (7,446 entries)
 * unpacked into the block group of a snapshot just removed took 3.1 s, in a group of its own 0.38 s. Other file
 * systems refuse or ignore the flag, which costs nothing.
 */
public final class TopDirectory {

    private static final Logger log = LoggerFactory.getLogger(TopDirectory.class);
    private static final int O_RDONLY = 0;
    private static final int O_DIRECTORY = 0200000;
    private static final int O_CLOEXEC = 02000000;
    /** {@code _IOR('f', 1, long)} and {@code _IOW('f', 2, long)}; the kernel reads and writes an int. */
    private static final long FS_IOC_GETFLAGS = 0x80086601L;
    private static final long FS_IOC_SETFLAGS = 0x40086602L;
    static final int FS_TOPDIR_FL = 0x00020000;

    /** libc's entry points, as jnr-ffi binds them. */
    public interface C {
        int open(@In byte[] path, int flags);

        int ioctl(int fd, long request, @In @Out IntByReference flags);

        int close(int fd);

        String strerror(int errno);
    }

    private static final C LIBC = LibraryLoader.create(C.class).load("c");
    private static final Runtime RUNTIME = Runtime.getRuntime(LIBC);

    private TopDirectory() {
    }

    /**
     * Sets the flag on {@code dir} if its file system has it.
     *
     * @return whether {@code dir} now carries it
     */
    public static boolean mark(Path dir) {
        byte[] utf8 = dir.toString().getBytes(StandardCharsets.UTF_8);
        int fd = LIBC.open(Arrays.copyOf(utf8, utf8.length + 1), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) {
            log.debug("cannot open {} to mark it a top directory: {}", dir, LIBC.strerror(RUNTIME.getLastError()));
            return false;
        }
        try {
            IntByReference flags = new IntByReference();
            if (LIBC.ioctl(fd, FS_IOC_GETFLAGS, flags) < 0) {
                log.debug("{} keeps no inode flags ({}): its subdirectories go where its file system puts them", dir,
                        LIBC.strerror(RUNTIME.getLastError()));
                return false;
            }
            if ((flags.intValue() & FS_TOPDIR_FL) != 0) {
                return true;
            }
            IntByReference marked = new IntByReference(flags.intValue() | FS_TOPDIR_FL);
            if (LIBC.ioctl(fd, FS_IOC_SETFLAGS, marked) < 0) {
                log.debug("{} cannot be marked a top directory ({})", dir, LIBC.strerror(RUNTIME.getLastError()));
                return false;
            }
            return true;
        } finally {
            LIBC.close(fd);
        }
    }
}
