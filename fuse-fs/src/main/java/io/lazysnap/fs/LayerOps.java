package io.lazysnap.fs;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import jnr.ffi.provider.ParameterFlags;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.flags.AccessConstants;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;

/**
 * One mounted layer's file system operations, as {@link FuseAdapter} hands them the kernel's requests: lookups in
 * the {@link InodeTable} and reads through the {@link FileReader}, and nothing more, each timed for the
 * {@link OperationTimer}. Called on many threads at once.
 */
final class LayerOps {

    private static final Logger LOG = LoggerFactory.getLogger(LayerOps.class);
    private static final int O_ACCMODE = 03;
    private static final int BLOCK_SIZE = 4096;

    private final InodeTable table;
    private final FileReader reader;
    private final LayerCounters counters;
    private final OperationTimer timer;
    private final ConcurrentHashMap<Long, OpenFile> open = new ConcurrentHashMap<>();
    private final AtomicLong handles = new AtomicLong();
    private final CompletableFuture<Void> initialised = new CompletableFuture<>();

    private record OpenFile(Inode inode, FileReader.Cursor cursor) {
    }

    LayerOps(InodeTable table, FileReader reader, LayerCounters counters, OperationTimer timer) {
        this.table = table;
        this.reader = reader;
        this.counters = counters;
        this.timer = timer;
    }

    /** Completes when the kernel has sent FUSE_INIT, i.e. once the mount is live. */
    CompletableFuture<Void> initialised() {
        return initialised;
    }

    void init() {
        initialised.complete(null);
    }

    int getattr(String path, FileStat stat) {
        long start = System.nanoTime();
        return timed("getattr", start, doGetattr(path, stat));
    }

    private int doGetattr(String path, FileStat stat) {
        Inode inode = table.lookup(path);
        if (inode == null) {
            return -ErrorCodes.ENOENT();
        }
        fill(inode, stat);
        return 0;
    }

    int readlink(String path, Pointer buf, long size) {
        long start = System.nanoTime();
        return timed("readlink", start, doReadlink(path, buf, size));
    }

    private int doReadlink(String path, Pointer buf, long size) {
        Inode inode = table.lookup(path);
        if (inode == null) {
            return -ErrorCodes.ENOENT();
        }
        if (inode.symlinkTarget() == null) {
            return -ErrorCodes.EINVAL();
        }
        byte[] target = inode.symlinkTarget().getBytes(StandardCharsets.UTF_8);
        int n = (int) Math.min(target.length, size - 1); // libfuse wants a NUL-terminated, truncated string
        buf.put(0, target, 0, n);
        buf.putByte(n, (byte) 0);
        return 0;
    }

    int opendir(String path, FuseFileInfo fi) {
        long start = System.nanoTime();
        return timed("opendir", start, doOpendir(path, fi));
    }

    private int doOpendir(String path, FuseFileInfo fi) {
        Inode inode = table.lookup(path);
        return inode == null ? -ErrorCodes.ENOENT() : inode.isDirectory() ? 0 : -ErrorCodes.ENOTDIR();
    }

    int readdir(String path, Pointer buf, FuseFillDir filler, long offset, FuseFileInfo fi) {
        long start = System.nanoTime();
        return timed("readdir", start, doReaddir(path, buf, filler, offset, fi));
    }

    private int doReaddir(String path, Pointer buf, FuseFillDir filler, long offset, FuseFileInfo fi) {
        Inode dir = table.lookup(path);
        if (dir == null) {
            return -ErrorCodes.ENOENT();
        }
        List<InodeTable.DirEntry> children = table.children(dir);
        FileStat stat = new FileStat(jnr.ffi.Runtime.getSystemRuntime());
        Pointer statMemory = Struct.getMemory(stat, ParameterFlags.DIRECT);
        // Offsets: 1 is ".", 2 is "..", 3.. the children; the kernel resumes from the last one it kept.
        for (long i = offset; i < children.size() + 2; i++) {
            String name = i == 0 ? "." : i == 1 ? ".." : children.get((int) i - 2).name();
            Inode inode = i == 0 ? dir : i == 1 ? null : children.get((int) i - 2).inode();
            Pointer st = null;
            if (inode != null) {
                fill(inode, stat);
                st = statMemory;
            }
            if (filler.apply(buf, cString(name), st, i + 1) != 0) {
                break; // the kernel's buffer is full
            }
        }
        return 0;
    }

    int open(String path, FuseFileInfo fi) {
        long start = System.nanoTime();
        return timed("open", start, doOpen(path, fi));
    }

    private int doOpen(String path, FuseFileInfo fi) {
        Inode inode = table.lookup(path);
        if (inode == null) {
            return -ErrorCodes.ENOENT();
        }
        if ((fi.flags.get() & O_ACCMODE) != 0) {
            return -ErrorCodes.EROFS();
        }
        if (inode.isDirectory()) {
            return -ErrorCodes.EISDIR();
        }
        long handle = handles.incrementAndGet();
        open.put(handle, new OpenFile(inode, new FileReader.Cursor()));
        fi.fh.set(handle);
        return 0;
    }

    int read(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        long start = System.nanoTime();
        return timed("read", start, doRead(path, buf, size, offset, fi));
    }

    private int doRead(String path, Pointer buf, long size, long offset, FuseFileInfo fi) {
        OpenFile file = open.get(fi.fh.get());
        if (file == null) {
            return -ErrorCodes.EBADF();
        }
        try {
            return reader.read(file.inode(), file.cursor(), offset, (int) Math.min(size, Integer.MAX_VALUE),
                    (at, src, srcOffset, length) -> buf.put(at, src, srcOffset, length));
        } catch (IOException | RuntimeException e) {
            counters.readErrors.increment();
            if (e instanceof RuntimeException) {
                LOG.error("read of {} at {} failed", path, offset, e);
            }
            return -ErrorCodes.EIO();
        }
    }

    int release(String path, FuseFileInfo fi) {
        long start = System.nanoTime();
        return timed("release", start, doRelease(path, fi));
    }

    private int doRelease(String path, FuseFileInfo fi) {
        open.remove(fi.fh.get());
        return 0;
    }

    int getxattr(String path, String name, Pointer value, long size) {
        long start = System.nanoTime();
        return timed("getxattr", start, doGetxattr(path, name, value, size));
    }

    private int doGetxattr(String path, String name, Pointer value, long size) {
        Inode inode = table.lookup(path);
        if (inode == null) {
            return -ErrorCodes.ENOENT();
        }
        byte[] v = inode.xattr(name);
        return v == null ? -ErrorCodes.ENODATA() : copyOut(v, value, size);
    }

    int listxattr(String path, Pointer list, long size) {
        long start = System.nanoTime();
        return timed("listxattr", start, doListxattr(path, list, size));
    }

    private int doListxattr(String path, Pointer list, long size) {
        Inode inode = table.lookup(path);
        if (inode == null) {
            return -ErrorCodes.ENOENT();
        }
        StringBuilder names = new StringBuilder();
        inode.xattrs().keySet().forEach(n -> names.append(n).append('\0'));
        return copyOut(names.toString().getBytes(StandardCharsets.UTF_8), list, size);
    }

    int access(String path, int mask) {
        long start = System.nanoTime();
        return timed("access", start, doAccess(path, mask));
    }

    private int doAccess(String path, int mask) {
        if (table.lookup(path) == null) {
            return -ErrorCodes.ENOENT();
        }
        return (mask & AccessConstants.W_OK) != 0 ? -ErrorCodes.EROFS() : 0;
    }

    int statfs(String path, Statvfs stbuf) {
        long start = System.nanoTime();
        return timed("statfs", start, doStatfs(path, stbuf));
    }

    private int doStatfs(String path, Statvfs stbuf) {
        stbuf.f_bsize.set(BLOCK_SIZE);
        stbuf.f_frsize.set(BLOCK_SIZE);
        stbuf.f_blocks.set((table.totalBytes() + BLOCK_SIZE - 1) / BLOCK_SIZE);
        stbuf.f_bfree.set(0);
        stbuf.f_bavail.set(0);
        stbuf.f_files.set(table.inodeCount());
        stbuf.f_ffree.set(0);
        stbuf.f_favail.set(0);
        stbuf.f_namemax.set(255);
        stbuf.f_flag.set(Statvfs.ST_RDONLY);
        return 0;
    }

    private int timed(String operation, long startNanos, int result) {
        timer.completed(operation, System.nanoTime() - startNanos);
        return result;
    }

    private static void fill(Inode inode, FileStat stat) {
        stat.st_ino.set(inode.ino());
        stat.st_mode.set(inode.mode());
        stat.st_nlink.set(inode.nlink());
        stat.st_uid.set(inode.uid());
        stat.st_gid.set(inode.gid());
        stat.st_rdev.set(makedev(inode.devMajor(), inode.devMinor()));
        stat.st_size.set(inode.size());
        stat.st_blksize.set(BLOCK_SIZE);
        stat.st_blocks.set((inode.size() + 511) / 512);
        long seconds = inode.mtime().getEpochSecond();
        int nanos = inode.mtime().getNano();
        stat.st_mtim.tv_sec.set(seconds);
        stat.st_mtim.tv_nsec.set(nanos);
        stat.st_atim.tv_sec.set(seconds);
        stat.st_atim.tv_nsec.set(nanos);
        stat.st_ctim.tv_sec.set(seconds);
        stat.st_ctim.tv_nsec.set(nanos);
    }

    /** glibc's {@code makedev}. */
    static long makedev(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8)
                | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }

    /** The xattr protocol: size 0 asks for the length; a buffer too small is ERANGE. */
    private static int copyOut(byte[] bytes, Pointer dst, long size) {
        if (size == 0) {
            return bytes.length;
        }
        if (size < bytes.length) {
            return -ErrorCodes.ERANGE();
        }
        dst.put(0, bytes, 0, bytes.length);
        return bytes.length;
    }

    /** A NUL-terminated UTF-8 name: jnr-fuse's own String overload would use the platform charset. */
    private static ByteBuffer cString(String name) {
        byte[] utf8 = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.wrap(Arrays.copyOf(utf8, utf8.length + 1));
    }
}
