package io.lazysnap.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One FUSE mount made with mount(2) on a /dev/fuse descriptor we opened (no libfuse, no fusermount): the
 * connection's descriptor, which is what a {@link ConnectionStore} keeps alive across processes, and the
 * {@link FuseSession} serving it. A mount can also be {@link #adopt adopted}: served from a descriptor an earlier
 * process handed over, with the kernel's state (inodes, open files, page cache) untouched.
 */
final class FuseMount {

    private static final Logger LOG = LoggerFactory.getLogger(FuseMount.class);
    static final String TYPE = "fuse.lazysnap";
    private static final long MOUNT_TIMEOUT_SECONDS = 30;
    private static final long UNMOUNT_TIMEOUT_MILLIS = 10_000;

    private final Path mountpoint;
    private final int connection;
    private final FuseSession session;
    private final boolean adopted;
    private volatile boolean released;

    private FuseMount(Path mountpoint, int connection, FuseSession session, boolean adopted) {
        this.mountpoint = mountpoint;
        this.connection = connection;
        this.session = session;
        this.adopted = adopted;
    }

    /** Mounts {@code ops} read-only at {@code mountpoint} and returns once the kernel serves it. */
    static FuseMount mount(LayerOps ops, Path mountpoint, String source, boolean allowOther, String name)
            throws IOException {
        Path mp = mountpoint.toAbsolutePath().normalize();
        if (MountInfo.isMountPoint(mp)) {
            // Left by a process that died without handing it over: "transport endpoint is not connected".
            LOG.info("detaching the stale mount at {}", mp);
            Syscalls.C.umount2(Syscalls.cString(mp.toString()), Syscalls.MNT_DETACH);
        }
        if (!Files.isDirectory(mp)) {
            throw new NotDirectoryException(mp.toString());
        }
        int fd = Syscalls.check(Syscalls.C.open(Syscalls.cString("/dev/fuse"),
                Syscalls.O_RDWR | Syscalls.O_CLOEXEC), "open /dev/fuse (is the fuse module loaded?)");
        String data = "fd=" + fd + ",rootmode=40000,user_id=" + Syscalls.C.geteuid() + ",group_id="
                + Syscalls.C.getegid() + ",default_permissions,max_read=" + FuseSession.MAX_READ
                + (allowOther ? ",allow_other" : "");
        if (Syscalls.C.mount(Syscalls.cString(source.replace(",", "_")), Syscalls.cString(mp.toString()),
                Syscalls.cString(TYPE), Syscalls.MS_RDONLY | Syscalls.MS_NOSUID | Syscalls.MS_NODEV,
                Syscalls.cString(data)) != 0) {
            int errno = Syscalls.errno();
            Syscalls.closeQuietly(fd);
            throw new IOException("mount(2) of " + mp + " failed: " + Syscalls.strerror(errno));
        }
        FuseSession session;
        try {
            session = FuseSession.start(fd, ops, name, false);
        } catch (IOException e) {
            Syscalls.C.umount2(Syscalls.cString(mp.toString()), Syscalls.MNT_DETACH);
            Syscalls.closeQuietly(fd);
            throw e;
        }
        FuseMount mount = new FuseMount(mp, fd, session, false);
        try {
            session.initialised().get(MOUNT_TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            mount.unmount();
            throw new IOException("interrupted while mounting " + mp, e);
        } catch (ExecutionException e) {
            mount.unmount();
            throw new IOException("the kernel did not initialise " + mp + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (TimeoutException e) {
            mount.unmount();
            throw new IOException("the kernel did not initialise " + mp + " within " + MOUNT_TIMEOUT_SECONDS + " s");
        }
        return mount;
    }

    /** Serves the live mount at {@code mountpoint} whose connection {@code fd} another process handed over. */
    static FuseMount adopt(LayerOps ops, Path mountpoint, int fd, String name) throws IOException {
        return new FuseMount(mountpoint, fd, FuseSession.start(fd, ops, name, true), true);
    }

    Path mountpoint() {
        return mountpoint;
    }

    /** The connection's own descriptor: while any process holds it, the mount outlives this one. */
    int connection() {
        return connection;
    }

    boolean adopted() {
        return adopted;
    }

    /**
     * Unmounts and waits for the session to end. A busy mount is detached lazily instead: it disappears from the
     * tree at once and is served until its last open file is closed.
     */
    void unmount() throws IOException {
        if (released) {
            return;
        }
        byte[] target = Syscalls.cString(mountpoint.toString());
        if (Syscalls.C.umount2(target, 0) != 0) {
            int errno = Syscalls.errno();
            if (errno == Syscalls.EBUSY) {
                LOG.warn("{} is busy: detaching it lazily", mountpoint);
                if (Syscalls.C.umount2(target, Syscalls.MNT_DETACH) != 0) {
                    throw new IOException("cannot unmount " + mountpoint + ": "
                            + Syscalls.strerror(Syscalls.errno()));
                }
                closeWhenEnded();
                return;
            }
            if (errno != Syscalls.EINVAL) { // EINVAL: not mounted (any more)
                throw new IOException("cannot unmount " + mountpoint + ": " + Syscalls.strerror(errno));
            }
        }
        session.awaitEnd(UNMOUNT_TIMEOUT_MILLIS);
        Syscalls.closeQuietly(connection);
    }

    /** A detached mount ends with its last open file: its descriptor is closed then. */
    private void closeWhenEnded() {
        Thread t = LayerFs.daemonThreads("lazysnap-detached").newThread(() -> {
            session.awaitEnd(Long.MAX_VALUE / 2);
            Syscalls.closeQuietly(connection);
        });
        t.start();
    }

    /**
     * Stops serving and leaves the mount in place for the next process, which gets the connection from the
     * {@link ConnectionStore}: requests that arrive meanwhile wait in the kernel.
     */
    void release(long drainMillis) {
        released = true;
        session.stop(drainMillis);
    }

    boolean isServing() {
        return session.isServing();
    }

    /** The mount table, read from {@code /proc/self/mountinfo} (never by touching the mount point). */
    static final class MountInfo {
        private MountInfo() {
        }

        static boolean isMountPoint(Path mp) throws IOException {
            String target = mp.toString();
            for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"), StandardCharsets.UTF_8)) {
                String[] f = line.split(" ", 6);
                if (f.length > 4 && unescape(f[4]).equals(target)) {
                    return true;
                }
            }
            return false;
        }

        /** mountinfo writes space, tab, newline and backslash as octal escapes. */
        private static String unescape(String s) {
            if (s.indexOf('\\') < 0) {
                return s;
            }
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                if (c == '\\' && i + 3 < s.length()) {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                } else {
                    b.append(c);
                }
            }
            return b.toString();
        }
    }
}
