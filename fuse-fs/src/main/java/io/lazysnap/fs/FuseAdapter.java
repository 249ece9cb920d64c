package io.lazysnap.fs;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import jnr.ffi.Pointer;
import jnr.ffi.Struct;
import jnr.ffi.types.off_t;
import jnr.ffi.types.size_t;
import ru.serce.jnrfuse.ErrorCodes;
import ru.serce.jnrfuse.FuseFillDir;
import ru.serce.jnrfuse.FuseStubFS;
import ru.serce.jnrfuse.struct.FileStat;
import ru.serce.jnrfuse.struct.FuseFileInfo;
import ru.serce.jnrfuse.struct.Statvfs;

/**
 * The libfuse binding, one for the whole process: every mount runs libfuse's loop with these callbacks, and each
 * callback goes to the {@link LayerOps} of the mount it is for. jnr-fuse loads and binds libfuse for each file
 * system object it makes (10-50 ms on a busy 2-core node, and a generated class each time), so one object serves
 * all mounts. A mount is told apart by libfuse's {@code private_data}, which carries the id it was started with;
 * libfuse runs each mount's callbacks on that mount's own threads, so a thread looks it up once.
 */
final class FuseAdapter extends FuseStubFS {

    private static final FuseAdapter INSTANCE = new FuseAdapter();

    private final Map<Long, LayerOps> mounts = new ConcurrentHashMap<>();
    private final AtomicLong ids = new AtomicLong();
    private final ThreadLocal<LayerOps> current = new ThreadLocal<>();

    private FuseAdapter() {
    }

    /** Runs libfuse's main loop serving {@code ops} until the file system is unmounted; returns its exit status. */
    static int loop(LayerOps ops, String[] args) {
        return INSTANCE.run(ops, args);
    }

    private int run(LayerOps ops, String[] args) {
        long id = ids.incrementAndGet();
        mounts.put(id, ops);
        try {
            Pointer userData = Pointer.wrap(jnr.ffi.Runtime.getSystemRuntime(), id);
            return libFuse.fuse_main_real(args.length, args, fuseOperations, Struct.size(fuseOperations), userData);
        } finally {
            mounts.remove(id);
        }
    }

    /** The mount this callback is for; null if it is gone. */
    private LayerOps ops() {
        LayerOps ops = current.get();
        if (ops == null) {
            ops = mountOf(getContext().private_data.get());
            current.set(ops);
        }
        return ops;
    }

    /** The mount whose id {@code userData} carries; null if it is gone. */
    private LayerOps mountOf(Pointer userData) {
        return userData == null ? null : mounts.get(userData.address());
    }

    @Override
    public Pointer init(Pointer conn) {
        Pointer userData = getContext().private_data.get();
        LayerOps ops = mountOf(userData);
        if (ops != null) {
            ops.init();
        }
        // What init returns becomes private_data for every later callback: keep the mount's id there.
        return userData;
    }

    @Override
    public int getattr(String path, FileStat stat) {
        LayerOps ops = ops();
        return ops == null ? -ErrorCodes.EIO() : ops.getattr(path, stat);
    }

    @Override
    public int readlink(String path, Pointer buf, @size_t long size) {
        LayerOps ops = ops();
        return ops == null ? -ErrorCodes.EIO() : ops.readlink(path, buf, size);
    }

    @Override
    public int opendir(String path, FuseFileInfo fi) {
        LayerOps ops = ops();
        return ops == null ? -ErrorCodes.EIO() : ops.opendir(path, fi);
    }

    @Override
    public int readdir(String path, Pointer buf, FuseFillDir filler, @off_t long offset, FuseFileInfo fi) {
        LayerOps ops = ops();
        return ops == null ? -ErrorCodes.EIO() : ops.readdir(path, buf, filler, offset, fi);
    }

    @Override
    public int open(String path, FuseFileInfo fi) {
        LayerOps ops = ops();
        return ops == null ? -ErrorCodes.EIO() : ops.open(path, fi);
    }

    @Override
    public int read(String path, Pointer buf, @size_t long size, @off_t long offset, FuseFileInfo fi) {
        LayerOps ops = ops();
        return ops == null ? -ErrorCodes.EIO() : ops.read(path, buf, size, offset, fi);
    }

    @Override
    public int release(String path, FuseFileInfo fi) {
        LayerOps ops = ops();
        return ops == null ? -ErrorCodes.EIO() : ops.release(path, fi);
    }

    @Override
    public int getxattr(String path, String name, Pointer value, @size_t long size) {
        LayerOps ops = ops();
        return ops == null ? -ErrorCodes.EIO() : ops.getxattr(path, name, value, size);
    }

    @Override
    public int listxattr(String path, Pointer list, @size_t long size) {
        LayerOps ops = ops();
        return ops == null ? -ErrorCodes.EIO() : ops.listxattr(path, list, size);
    }

    @Override
    public int access(String path, int mask) {
        LayerOps ops = ops();
        return ops == null ? -ErrorCodes.EIO() : ops.access(path, mask);
    }

    @Override
    public int statfs(String path, Statvfs stbuf) {
        LayerOps ops = ops();
        return ops == null ? -ErrorCodes.EIO() : ops.statfs(path, stbuf);
    }
}
