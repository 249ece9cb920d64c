package io.lazysnap.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mounted layer's file system operations on the kernel's terms (inode numbers, file handles, offsets): lookups
 * in the {@link InodeTable} and reads through the {@link FileReader}, each timed for the {@link OperationTimer}.
 * Each operation writes its reply's body into {@code out} (after the header) and returns its length, or returns
 * {@code -errno}. Holds no state the kernel depends on beyond open files' read-ahead positions, so a mount handed
 * over from another process is served from its first request: a handle this process never opened is rebuilt from
 * the inode number the kernel sends with it. Called on many threads at once.
 */
final class LayerOps {

    private static final Logger LOG = LoggerFactory.getLogger(LayerOps.class);
    static final int ENOENT = 2;
    static final int EIO = 5;
    static final int EISDIR = 21;
    static final int ENOTDIR = 20;
    static final int EINVAL = 22;
    static final int EROFS = 30;
    static final int ERANGE = 34;
    static final int ENOSYS = 38;
    static final int ENODATA = 61;
    private static final int O_ACCMODE = 03;
    private static final int BLOCK_SIZE = 4096;
    private static final int BODY = FuseWire.OUT_HEADER;

    private final LayerTree tree;
    private final FileReader reader;
    private final LayerCounters counters;
    private final OperationTimer timer;
    private final long entrySeconds;
    private final long attrSeconds;
    private final ConcurrentHashMap<Long, OpenFile> open = new ConcurrentHashMap<>();
    /** Handles start at a random point: numbers another process handed out stay told apart from ours. */
    private final AtomicLong handles = new AtomicLong(ThreadLocalRandom.current().nextLong(1L << 40, 1L << 62));

    private record OpenFile(Inode inode, FileReader.Cursor cursor) {
    }

    /** A read's reply body: file parts from the disk cache go into it straight from the kernel. */
    private record Reply(Pointer out) implements FileReader.Sink {
        @Override
        public void put(int offset, byte[] src, int srcOffset, int length) {
            out.put(BODY + offset, src, srcOffset, length);
        }

        @Override
        public boolean putFile(int offset, Path file, long fileSize, long position, int length) {
            return Syscalls.readFile(file, fileSize, position, out.slice(BODY + offset), length);
        }
    }

    LayerOps(LayerTree tree, FileReader reader, LayerCounters counters, OperationTimer timer,
             Duration entryTimeout, Duration attrTimeout) {
        this.tree = tree;
        this.reader = reader;
        this.counters = counters;
        this.timer = timer;
        this.entrySeconds = entryTimeout.toSeconds();
        this.attrSeconds = attrTimeout.toSeconds();
    }

    int lookup(long parent, String name, Pointer out) {
        return withInode("lookup", parent, (table, dir) -> {
            if (!dir.isDirectory()) {
                return -ENOTDIR;
            }
            Inode found = name.equals(".") ? dir : name.equals("..") ? table.inode(table.parentOf(dir))
                    : table.child(dir, name);
            // Not found is an entry with inode 0: the kernel caches the absence for the entry timeout.
            out.putLong(BODY, found == null ? 0 : found.ino());
            out.putLong(BODY + 8, 0); // generation
            out.putLong(BODY + 16, entrySeconds);
            out.putLong(BODY + 24, attrSeconds);
            out.putInt(BODY + 32, 0);
            out.putInt(BODY + 36, 0);
            if (found != null) {
                FuseWire.putAttr(out, BODY + 40, found);
            } else {
                out.setMemory(BODY + 40, FuseWire.ATTR, (byte) 0);
            }
            return FuseWire.ENTRY_OUT;
        });
    }

    int getattr(long nodeid, Pointer out) {
        return withInode("getattr", nodeid, (table, inode) -> {
            out.putLong(BODY, attrSeconds);
            out.putInt(BODY + 8, 0);
            out.putInt(BODY + 12, 0);
            FuseWire.putAttr(out, BODY + 16, inode);
            return FuseWire.ATTR_OUT;
        });
    }

    int readlink(long nodeid, Pointer out, int capacity) {
        return withInode("readlink", nodeid, (table, inode) -> {
            if (inode.symlinkTarget() == null) {
                return -EINVAL;
            }
            byte[] target = inode.symlinkTarget().getBytes(StandardCharsets.UTF_8);
            int n = Math.min(target.length, capacity);
            out.put(BODY, target, 0, n);
            return n;
        });
    }

    int open(long nodeid, int flags, Pointer out) {
        return withInode("open", nodeid, (table, inode) -> {
            if ((flags & O_ACCMODE) != 0) {
                return -EROFS;
            }
            if (inode.isDirectory()) {
                return -EISDIR;
            }
            long handle = handles.incrementAndGet();
            open.put(handle, new OpenFile(inode, new FileReader.Cursor()));
            return openReply(out, handle, FuseWire.FOPEN_KEEP_CACHE);
        });
    }

    int read(long nodeid, long handle, long offset, int size, Pointer out) {
        long start = System.nanoTime();
        return timed("read", start, doRead(nodeid, handle, offset, size, out));
    }

    private int doRead(long nodeid, long handle, long offset, int size, Pointer out) {
        OpenFile file = open.get(handle);
        if (file == null || file.inode().ino() != nodeid) {
            Inode inode;
            try {
                inode = tree.get().table().inode(nodeid);
            } catch (IOException e) {
                return unloadable(e);
            }
            if (inode == null) {
                return -ENOENT;
            }
            file = open.computeIfAbsent(handle, h -> new OpenFile(inode, new FileReader.Cursor()));
            if (file.inode().ino() != nodeid) {
                file = new OpenFile(inode, new FileReader.Cursor());
            }
        }
        try {
            return reader.read(file.inode(), file.cursor(), offset, size, new Reply(out));
        } catch (IOException | RuntimeException e) {
            counters.readErrors.increment();
            if (e instanceof RuntimeException) {
                LOG.error("read of {} at {} failed", file.inode().path(), offset, e);
            }
            return -EIO;
        }
    }

    int release(long handle) {
        long start = System.nanoTime();
        open.remove(handle);
        return timed("release", start, 0);
    }

    int opendir(long nodeid, Pointer out) {
        return withInode("opendir", nodeid, (table, inode) -> !inode.isDirectory() ? -ENOTDIR
                : openReply(out, 0, FuseWire.FOPEN_KEEP_CACHE | FuseWire.FOPEN_CACHE_DIR));
    }

    /** Entries from index {@code offset} ({@code .}, {@code ..}, then the children) that fit in {@code size}. */
    int readdir(long nodeid, long offset, int size, Pointer out) {
        return withInode("readdir", nodeid, (table, dir) -> {
            List<InodeTable.DirEntry> children = table.children(dir);
            int used = 0;
            for (long i = Math.max(0, offset); i < children.size() + 2; i++) {
                String name = i == 0 ? "." : i == 1 ? ".." : children.get((int) i - 2).name();
                long ino = i == 0 ? dir.ino() : i == 1 ? table.parentOf(dir) : children.get((int) i - 2).inode().ino();
                int mode = i < 2 ? Inode.S_IFDIR : children.get((int) i - 2).inode().mode();
                byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
                int entry = FuseWire.direntSize(bytes.length);
                if (used + entry > size) {
                    break; // the kernel asks again from the next offset
                }
                int at = BODY + used;
                out.putLong(at, ino);
                out.putLong(at + 8, i + 1);
                out.putInt(at + 16, bytes.length);
                out.putInt(at + 20, (mode & Inode.S_IFMT) >>> 12);
                out.put(at + 24, bytes, 0, bytes.length);
                out.setMemory(at + 24 + bytes.length, entry - FuseWire.DIRENT_HEADER - bytes.length, (byte) 0);
                used += entry;
            }
            return used;
        });
    }

    int getxattr(long nodeid, String name, int size, Pointer out) {
        return withInode("getxattr", nodeid, (table, inode) -> {
            byte[] v = inode.xattr(name);
            return v == null ? -ENODATA : xattrReply(v, size, out);
        });
    }

    int listxattr(long nodeid, int size, Pointer out) {
        return withInode("listxattr", nodeid, (table, inode) -> {
            StringBuilder names = new StringBuilder();
            inode.xattrs().keySet().forEach(n -> names.append(n).append('\0'));
            return xattrReply(names.toString().getBytes(StandardCharsets.UTF_8), size, out);
        });
    }

    int statfs(Pointer out) {
        long start = System.nanoTime();
        out.putLong(BODY, (tree.totalBytes() + BLOCK_SIZE - 1) / BLOCK_SIZE); // blocks
        out.putLong(BODY + 8, 0); // bfree
        out.putLong(BODY + 16, 0); // bavail
        out.putLong(BODY + 24, tree.inodeCount()); // files
        out.putLong(BODY + 32, 0); // ffree
        out.putInt(BODY + 40, BLOCK_SIZE); // bsize
        out.putInt(BODY + 44, 255); // namelen
        out.putInt(BODY + 48, BLOCK_SIZE); // frsize
        out.setMemory(BODY + 52, FuseWire.STATFS_OUT - 52, (byte) 0);
        return timed("statfs", start, FuseWire.STATFS_OUT);
    }

    /** An operation on one inode of the layer's tree. */
    private interface InodeOp {
        int apply(InodeTable table, Inode inode);
    }

    /** Times {@code operation} on inode {@code nodeid}: ENOENT when there is none, else what {@code op} answers. */
    private int withInode(String operation, long nodeid, InodeOp op) {
        long start = System.nanoTime();
        InodeTable table;
        try {
            table = tree.get().table();
        } catch (IOException e) {
            return timed(operation, start, unloadable(e));
        }
        Inode inode = table.inode(nodeid);
        return timed(operation, start, inode == null ? -ENOENT : op.apply(table, inode));
    }

    /** The tree was dropped and cannot be opened again (LayerTree says why, once every few seconds). */
    private int unloadable(IOException e) {
        counters.readErrors.increment();
        return -EIO;
    }

    private int timed(String operation, long startNanos, int result) {
        timer.completed(operation, System.nanoTime() - startNanos);
        return result;
    }

    private static int openReply(Pointer out, long handle, int openFlags) {
        out.putLong(BODY, handle);
        out.putInt(BODY + 8, openFlags);
        out.putInt(BODY + 12, 0);
        return FuseWire.OPEN_OUT;
    }

    /** The xattr protocol: size 0 asks for the length; a buffer too small is ERANGE. */
    private static int xattrReply(byte[] bytes, int size, Pointer out) {
        if (size == 0) {
            out.putInt(BODY, bytes.length);
            out.putInt(BODY + 4, 0);
            return FuseWire.GETXATTR_OUT;
        }
        if (size < bytes.length) {
            return -ERANGE;
        }
        out.put(BODY, bytes, 0, bytes.length);
        return bytes.length;
    }
}
