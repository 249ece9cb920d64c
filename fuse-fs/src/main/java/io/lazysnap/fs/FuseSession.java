package io.lazysnap.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one FUSE connection: a thread takes the kernel's requests from a descriptor of its own, cloned from the
 * connection's ({@code FUSE_DEV_IOC_CLONE}), answers metadata requests itself (they are lookups in memory) and
 * hands reads to a pool shared by all mounts. Requests it has taken belong to its descriptor: if the process dies,
 * the kernel fails just those (with ECONNABORTED) and keeps the rest queued on the connection, for whoever holds
 * the connection's own descriptor next. {@link #stop} stops taking requests, so a graceful hand-over loses none.
 */
final class FuseSession {

    private static final Logger LOG = LoggerFactory.getLogger(FuseSession.class);
    static final int MAX_READ = 128 << 10;
    private static final int REPLY_BUFFER = FuseWire.OUT_HEADER + MAX_READ;
    private static final int EPROTO = 71;
    private static final int ECONNABORTED = 103;
    private static final int READ_THREADS = 32;
    /** The kernel reads a link's target into one page, NUL included. */
    private static final int READLINK_MAX = 4095;
    /** Reads of all mounts; when every thread is busy, the mount's own thread reads: a bound, not a queue. */
    private static final ThreadPoolExecutor READS = new ThreadPoolExecutor(0, READ_THREADS, 30, TimeUnit.SECONDS,
            new SynchronousQueue<>(), LayerFs.daemonThreads("lazysnap-fuse-read"),
            new ThreadPoolExecutor.CallerRunsPolicy());
    private static final ThreadLocal<Pointer> REPLIES = ThreadLocal.withInitial(() -> Syscalls.allocate(REPLY_BUFFER));

    private final int fd;
    private final int stopFd;
    private final LayerOps ops;
    private final String name;
    private final CompletableFuture<Void> initialised = new CompletableFuture<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final Thread receiver;
    private volatile boolean unmounted;
    private volatile boolean stopping;

    private FuseSession(int fd, int stopFd, LayerOps ops, String name, boolean initialisedAlready) {
        this.fd = fd;
        this.stopFd = stopFd;
        this.ops = ops;
        this.name = name;
        if (initialisedAlready) {
            initialised.complete(null);
        }
        this.receiver = LayerFs.daemonThreads(name).newThread(this::receive);
    }

    /**
     * Starts serving the connection behind {@code connectionFd}; {@code handedOver} says another process already
     * answered its INIT.
     */
    static FuseSession start(int connectionFd, LayerOps ops, String name, boolean handedOver) throws IOException {
        int clone = Syscalls.check(Syscalls.C.open(Syscalls.cString("/dev/fuse"),
                Syscalls.O_RDWR | Syscalls.O_NONBLOCK | Syscalls.O_CLOEXEC), "open /dev/fuse");
        int stop = -1;
        try {
            Syscalls.check(Syscalls.C.ioctl(clone, FuseWire.DEV_IOC_CLONE, new int[] {connectionFd}),
                    "cloning the FUSE connection");
            stop = Syscalls.check(Syscalls.C.eventfd(0, Syscalls.EFD_CLOEXEC), "eventfd");
        } catch (IOException e) {
            Syscalls.closeQuietly(clone);
            throw e;
        }
        FuseSession session = new FuseSession(clone, stop, ops, name, handedOver);
        session.receiver.start();
        return session;
    }

    /** Completes once the kernel's INIT is answered, i.e. once the mount serves. */
    CompletableFuture<Void> initialised() {
        return initialised;
    }

    /** Whether requests are still being taken (false once the file system is unmounted or {@link #stop}ped). */
    boolean isServing() {
        return receiver.isAlive();
    }

    boolean unmounted() {
        return unmounted;
    }

    /**
     * Stops taking requests, waits up to {@code timeoutMillis} for the reads in flight to be answered, then closes
     * this session's descriptor; the connection's own stays with its owner.
     */
    void stop(long timeoutMillis) {
        stopping = true;
        Pointer one = Syscalls.allocate(8);
        one.putLong(0, 1);
        Syscalls.C.write(stopFd, one, 8);
        awaitEnd(timeoutMillis);
    }

    /** Waits for the receiver to end (after an unmount) and closes the session's descriptors. */
    void awaitEnd(long timeoutMillis) {
        long start = System.nanoTime();
        long wait = TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        try {
            receiver.join(Math.max(1, timeoutMillis));
            while (inFlight.get() > 0 && System.nanoTime() - start < wait) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (receiver.isAlive() || inFlight.get() > 0) {
            LOG.warn("{}: {} request(s) still in flight after {} ms", name, inFlight.get(), timeoutMillis);
            return; // closing now could fail them; the process is going away anyway
        }
        Syscalls.closeQuietly(fd);
        Syscalls.closeQuietly(stopFd);
    }

    private void receive() {
        Pointer request = Syscalls.allocate(FuseWire.REQUEST_BUFFER);
        Pointer polls = Syscalls.allocate(16);
        polls.putInt(0, fd);
        polls.putShort(4, Syscalls.POLLIN);
        polls.putInt(8, stopFd);
        polls.putShort(12, Syscalls.POLLIN);
        while (!stopping) {
            long n = Syscalls.C.read(fd, request, FuseWire.REQUEST_BUFFER);
            if (n < 0) {
                int errno = Syscalls.errno();
                if (errno == Syscalls.EAGAIN) {
                    polls.putShort(6, (short) 0);
                    polls.putShort(14, (short) 0);
                    Syscalls.C.poll(polls, 2, -1);
                    if (polls.getShort(14) != 0) {
                        return; // stopped
                    }
                } else if (errno == Syscalls.ENODEV) {
                    unmounted = true;
                    initialised.completeExceptionally(new IOException("unmounted before the kernel's INIT"));
                    return;
                } else if (errno != Syscalls.EINTR && errno != Syscalls.ENOENT) {
                    LOG.error("{}: reading /dev/fuse failed: {}", name, Syscalls.strerror(errno));
                    initialised.completeExceptionally(new IOException("reading /dev/fuse failed"));
                    return;
                }
                continue;
            }
            try {
                handle(request, (int) n);
            } catch (RuntimeException | Error e) { // answered, whatever happened: an unanswered request hangs its caller
                LOG.error("{}: a request failed", name, e);
                reply(request.getLong(8), -LayerOps.EIO, REPLIES.get());
            }
        }
    }

    private void handle(Pointer in, int length) {
        int opcode = in.getInt(4);
        long unique = in.getLong(8);
        long nodeid = in.getLong(16);
        int at = FuseWire.IN_HEADER;
        switch (opcode) {
            case FuseWire.READ -> {
                long handle = in.getLong(at);
                long offset = in.getLong(at + 8);
                int size = Math.min(in.getInt(at + 16), MAX_READ);
                inFlight.incrementAndGet();
                READS.execute(() -> {
                    Pointer out = REPLIES.get();
                    int result;
                    try {
                        result = ops.read(nodeid, handle, offset, size, out);
                    } catch (RuntimeException | Error e) {
                        LOG.error("{}: a read failed", name, e);
                        result = -LayerOps.EIO;
                    }
                    try {
                        reply(unique, result, out);
                    } finally {
                        inFlight.decrementAndGet();
                    }
                });
            }
            case FuseWire.FORGET, FuseWire.BATCH_FORGET, FuseWire.INTERRUPT -> {
                // No reply: inode numbers are fixed, so there is nothing to forget; reads are not interrupted.
            }
            default -> {
                Pointer out = REPLIES.get();
                reply(unique, answer(opcode, nodeid, in, at, length, out), out);
            }
        }
    }

    /** The reply body's length, or -errno. */
    private int answer(int opcode, long nodeid, Pointer in, int at, int length, Pointer out) {
        return switch (opcode) {
            case FuseWire.INIT -> init(in, at, out);
            case FuseWire.LOOKUP -> ops.lookup(nodeid, cString(in, at, length), out);
            case FuseWire.GETATTR -> ops.getattr(nodeid, out);
            case FuseWire.READLINK -> ops.readlink(nodeid, out, READLINK_MAX);
            case FuseWire.OPEN -> ops.open(nodeid, in.getInt(at), out);
            case FuseWire.RELEASE -> ops.release(in.getLong(at));
            case FuseWire.OPENDIR -> ops.opendir(nodeid, out);
            case FuseWire.READDIR -> ops.readdir(nodeid, in.getLong(at + 8),
                    Math.min(in.getInt(at + 16), MAX_READ), out);
            case FuseWire.RELEASEDIR, FuseWire.DESTROY -> 0;
            case FuseWire.GETXATTR -> ops.getxattr(nodeid, cString(in, at + 8, length),
                    Math.min(in.getInt(at), MAX_READ), out);
            case FuseWire.LISTXATTR -> ops.listxattr(nodeid, Math.min(in.getInt(at), MAX_READ), out);
            case FuseWire.STATFS -> ops.statfs(out);
            default -> -LayerOps.ENOSYS; // writes, locks, flush, access (default_permissions decides), ...
        };
    }

    private int init(Pointer in, int at, Pointer out) {
        int major = in.getInt(at);
        int minor = in.getInt(at + 4);
        int maxReadahead = in.getInt(at + 8);
        int flags = in.getInt(at + 12);
        if (major != FuseWire.KERNEL_VERSION || minor < FuseWire.MIN_MINOR) {
            initialised.completeExceptionally(new IOException("the kernel speaks FUSE " + major + "." + minor
                    + "; lazysnap needs 7." + FuseWire.MIN_MINOR + " or later (Linux 4.20+)"));
            return -EPROTO;
        }
        int body = FuseWire.OUT_HEADER;
        out.setMemory(body, FuseWire.INIT_OUT, (byte) 0);
        out.putInt(body, FuseWire.KERNEL_VERSION);
        out.putInt(body + 4, Math.min(minor, FuseWire.OUR_MINOR));
        out.putInt(body + 8, maxReadahead);
        out.putInt(body + 12, flags & (FuseWire.ASYNC_READ | FuseWire.PARALLEL_DIROPS | FuseWire.CACHE_SYMLINKS
                | FuseWire.MAX_PAGES));
        out.putShort(body + 16, (short) 64); // max_background: reads the kernel may have queued at once
        out.putShort(body + 18, (short) 48); // congestion_threshold
        out.putInt(body + 20, FuseWire.MAX_WRITE);
        out.putInt(body + 24, 1); // time_gran: nanoseconds
        out.putShort(body + 28, (short) (MAX_READ / 4096)); // max_pages
        initialised.complete(null);
        return FuseWire.INIT_OUT;
    }

    private void reply(long unique, int result, Pointer out) {
        int length = FuseWire.OUT_HEADER + Math.max(0, result);
        out.putInt(0, length);
        out.putInt(4, Math.min(0, result));
        out.putLong(8, unique);
        if (Syscalls.C.write(fd, out, length) < 0) {
            int errno = Syscalls.errno();
            // ENOENT: the request was interrupted and is gone; ENODEV/ECONNABORTED: unmounted meanwhile.
            if (errno != Syscalls.ENOENT && errno != Syscalls.ENODEV && errno != ECONNABORTED) {
                LOG.warn("{}: replying to request {} failed: {}", name, unique, Syscalls.strerror(errno));
            }
        }
    }

    /** The NUL-terminated UTF-8 string at {@code at}, within the request's {@code length} bytes. */
    private static String cString(Pointer in, int at, int length) {
        int end = at;
        while (end < length && in.getByte(end) != 0) {
            end++;
        }
        byte[] bytes = new byte[end - at];
        in.get(at, bytes, 0, bytes.length);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
