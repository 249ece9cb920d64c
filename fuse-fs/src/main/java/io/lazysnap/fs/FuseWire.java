package io.lazysnap.fs;

import jnr.ffi.Pointer;

/**
 * Facts of the kernel's FUSE protocol (linux/fuse.h, protocol 7.x) that a read-only file system speaks: opcodes,
 * flags, and the layouts of the structures it reads and writes. Every structure is little-endian native memory at
 * fixed offsets; sizes are the kernel's {@code sizeof}.
 */
final class FuseWire {

    static final int KERNEL_VERSION = 7;
    /** The oldest minor we accept (Linux 4.20): every reply below has its current size there. */
    static final int MIN_MINOR = 27;
    static final int OUR_MINOR = 31;

    static final int LOOKUP = 1;
    static final int FORGET = 2;
    static final int GETATTR = 3;
    static final int READLINK = 5;
    static final int OPEN = 14;
    static final int READ = 15;
    static final int STATFS = 17;
    static final int RELEASE = 18;
    static final int GETXATTR = 22;
    static final int LISTXATTR = 23;
    static final int FLUSH = 25;
    static final int INIT = 26;
    static final int OPENDIR = 27;
    static final int READDIR = 28;
    static final int RELEASEDIR = 29;
    static final int INTERRUPT = 36;
    static final int DESTROY = 38;
    static final int BATCH_FORGET = 42;

    static final int IN_HEADER = 40;
    static final int OUT_HEADER = 16;
    static final int ATTR = 88;
    static final int ENTRY_OUT = 40 + ATTR;
    static final int ATTR_OUT = 16 + ATTR;
    static final int OPEN_OUT = 16;
    static final int STATFS_OUT = 80;
    static final int INIT_OUT = 64;
    static final int GETXATTR_OUT = 8;
    static final int DIRENT_HEADER = 24;

    static final int ASYNC_READ = 1;
    static final int PARALLEL_DIROPS = 1 << 18;
    static final int CACHE_SYMLINKS = 1 << 23;
    static final int MAX_PAGES = 1 << 22;
    static final int FOPEN_KEEP_CACHE = 1 << 1;
    static final int FOPEN_CACHE_DIR = 1 << 3;
    /** The most the kernel may write to us at once; a read-only file system gets no writes. */
    static final int MAX_WRITE = 4096;
    /** The kernel refuses to hand requests to a smaller buffer. */
    static final int REQUEST_BUFFER = 16 << 10;
    /** ioctl that attaches a new /dev/fuse descriptor to an existing connection: _IOR(229, 0, uint32_t). */
    static final long DEV_IOC_CLONE = 0x8004E500L;

    private FuseWire() {
    }

    /** Writes a {@code fuse_attr} at {@code at}. */
    static void putAttr(Pointer p, int at, Inode inode) {
        long seconds = inode.mtime().getEpochSecond();
        int nanos = inode.mtime().getNano();
        p.putLong(at, inode.ino());
        p.putLong(at + 8, inode.size());
        p.putLong(at + 16, (inode.size() + 511) / 512);
        p.putLong(at + 24, seconds); // atime
        p.putLong(at + 32, seconds); // mtime
        p.putLong(at + 40, seconds); // ctime
        p.putInt(at + 48, nanos);
        p.putInt(at + 52, nanos);
        p.putInt(at + 56, nanos);
        p.putInt(at + 60, inode.mode());
        p.putInt(at + 64, inode.nlink());
        p.putInt(at + 68, (int) inode.uid());
        p.putInt(at + 72, (int) inode.gid());
        p.putInt(at + 76, encodeDev(inode.devMajor(), inode.devMinor()));
        p.putInt(at + 80, 4096); // blksize
        p.putInt(at + 84, 0); // flags
    }

    /** The kernel's {@code new_encode_dev}: the 32-bit device number FUSE carries. */
    static int encodeDev(int major, int minor) {
        return (minor & 0xff) | ((major & 0xfff) << 8) | ((minor & ~0xff) << 12);
    }

    /** Size of a {@code fuse_dirent} holding a name of {@code nameLength} bytes, padded to 8. */
    static int direntSize(int nameLength) {
        return (DIRENT_HEADER + nameLength + 7) & ~7;
    }
}
