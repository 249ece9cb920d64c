package io.lazysnap.fs;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.UUID;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store without systemd: a {@code lazysnap-fdkeeper} process (a few lines of {@code /bin/sh} under another
 * name, in a session of its own) whose descriptors 100 and 101 are the two ends of a Unix datagram socket pair. Each
 * connection is a message queued on that socket, carrying the descriptor; the keeper never reads, it only keeps
 * the queue alive. The next daemon copies both ends out of the keeper ({@code pidfd_getfd}), reads every message
 * and queues it again; the keeper's pid is in {@code <state>/handover/keeper.pid}. Taking one connection out
 * re-queues the others.
 *
 * <p>The keeper watches the daemon named in {@code <state>/handover/owner.pid}: once no daemon has owned the
 * connections for the configured wait, it exits, the connections end, and what the containers read fails with
 * ENOTCONN instead of waiting forever for a daemon that is not coming back.
 */
final class FdKeeper extends ConnectionStore {

    private static final Logger LOG = LoggerFactory.getLogger(FdKeeper.class);
    static final String NAME = "lazysnap-fdkeeper";
    static final String PID_FILE = "keeper.pid";
    static final String OWNER_FILE = "owner.pid";
    private static final String SHELL = "/bin/sh";
    private static final int RX_FD = 100;
    private static final int TX_FD = 101;
    private static final short POSIX_SPAWN_SETSID = 0x80;
    private static final int SO_SNDBUFFORCE = 32;
    private static final int SEND_BUFFER = 16 << 20;

    /**
     * The keeper: while the owner named in $1 lives, sleep; once it has been gone for $2 seconds, exit. The socket
     * ends sit at descriptors the script never names, so the shell never moves them; a sleep inherits them for at
     * most its second.
     */
    private static final String WATCH = "gone=0; while [ \"$gone\" -lt \"$2\" ]; do sleep 1;"
            + " if read owner < \"$1\" && kill -0 \"$owner\"; then gone=0; else gone=$((gone + 1)); fi;"
            + " done 2>/dev/null";

    private final Path dir;
    private final long pid;
    private final int rx;
    private final int tx;
    /** Messages queued on the keeper's socket, all ours. */
    private int queued;

    private FdKeeper(Path dir, long pid, int rx, int tx) {
        this.dir = dir;
        this.pid = pid;
        this.rx = rx;
        this.tx = tx;
    }

    /**
     * Takes over the keeper of {@code dir}, or starts one that gives the connections up when no daemon has owned
     * them for {@code orphanWait}.
     */
    static FdKeeper open(Path dir, Duration orphanWait) throws IOException {
        Files.createDirectories(dir);
        writeAtomically(dir.resolve(OWNER_FILE), ProcessHandle.current().pid());
        long pid = readPid(dir.resolve(PID_FILE));
        if (pid > 0 && isKeeper(pid)) {
            int pidfd = Syscalls.pidfdOpen(pid);
            try {
                FdKeeper keeper = new FdKeeper(dir, pid, Syscalls.pidfdGetfd(pidfd, RX_FD),
                        Syscalls.pidfdGetfd(pidfd, TX_FD));
                keeper.recover();
                return keeper;
            } finally {
                Syscalls.closeQuietly(pidfd);
            }
        }
        FdKeeper keeper = spawn(dir, Math.max(1, orphanWait.toSeconds()));
        writeAtomically(dir.resolve(PID_FILE), keeper.pid);
        LOG.info("started {} (pid {}): FUSE connections survive this daemon for {} s", NAME, keeper.pid,
                orphanWait.toSeconds());
        return keeper;
    }

    /** Ends the keeper if it keeps nothing: a daemon that stops with no mount left has nothing to hand over. */
    @Override
    public void close() {
        if (queued > 0) {
            return;
        }
        try {
            Files.deleteIfExists(dir.resolve(PID_FILE));
        } catch (IOException e) {
            LOG.debug("cannot delete {}: {}", dir.resolve(PID_FILE), e.toString());
        }
        if (isKeeper(pid)) {
            Syscalls.C.kill((int) pid, Syscalls.SIGKILL);
            Syscalls.C.waitpid((int) pid, null, 0); // ours to reap when we started it; ECHILD otherwise
        }
        Syscalls.closeQuietly(rx);
        Syscalls.closeQuietly(tx);
    }

    private static void writeAtomically(Path file, long pid) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + "." + ProcessHandle.current().pid());
        Files.deleteIfExists(tmp);
        Files.writeString(tmp, pid + "\n", StandardCharsets.US_ASCII, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public String describe() {
        return "keeper pid " + pid;
    }

    @Override
    void store(String name, int fd) throws IOException {
        FdMessages.send(tx, name, fd, null);
        queued++;
    }

    /** Takes every message out and queues again all but {@code name}'s. */
    @Override
    void unstore(String name) throws IOException {
        int n = queued;
        for (int i = 0; i < n; i++) {
            FdMessages.Message m = FdMessages.receive(rx);
            if (m == null) {
                break;
            }
            queued--;
            try {
                if (!m.text().equals(name) && m.fds().length == 1) {
                    FdMessages.send(tx, m.text(), m.fds()[0], null);
                    queued++;
                }
            } finally {
                for (int fd : m.fds()) {
                    Syscalls.closeQuietly(fd);
                }
            }
        }
    }

    /**
     * Reads every message up to a marker of our own, queueing each again at once (the keeper is never without it
     * for longer than one system call), and keeps the descriptors received as the recovered connections.
     */
    private void recover() throws IOException {
        String marker = "marker " + UUID.randomUUID();
        FdMessages.send(tx, marker, -1, null);
        while (true) {
            FdMessages.Message m = FdMessages.receive(rx);
            if (m == null || m.text().equals(marker)) {
                return;
            }
            if (m.fds().length != 1 || ConnectionStore.mountpointOf(m.text()) == null) {
                for (int fd : m.fds()) {
                    Syscalls.closeQuietly(fd);
                }
                continue;
            }
            FdMessages.send(tx, m.text(), m.fds()[0], null);
            queued++;
            recovered(m.text(), m.fds()[0]);
        }
    }

    private static FdKeeper spawn(Path dir, long orphanSeconds) throws IOException {
        int[] pair = new int[2];
        Syscalls.check(Syscalls.C.socketpair(Syscalls.AF_UNIX, Syscalls.SOCK_DGRAM | Syscalls.SOCK_CLOEXEC, 0, pair),
                "socketpair");
        // Room for thousands of queued connections (the default holds ~200); root may exceed the sysctl bound.
        Syscalls.C.setsockopt(pair[1], Syscalls.SOL_SOCKET, SO_SNDBUFFORCE, new int[] {SEND_BUFFER}, 4);
        Pointer actions = Syscalls.allocate(512);
        Pointer attr = Syscalls.allocate(512);
        Syscalls.C.posix_spawn_file_actions_init(actions);
        Syscalls.C.posix_spawnattr_init(attr);
        try {
            for (int stdio = 0; stdio < 3; stdio++) {
                Syscalls.C.posix_spawn_file_actions_addopen(actions, stdio, Syscalls.cString("/dev/null"),
                        Syscalls.O_RDWR, 0);
            }
            Syscalls.C.posix_spawn_file_actions_adddup2(actions, pair[0], RX_FD);
            Syscalls.C.posix_spawn_file_actions_adddup2(actions, pair[1], TX_FD);
            // Nothing else of the daemon's (its lock, its sockets) may live on in the keeper.
            Syscalls.C.posix_spawn_file_actions_addclosefrom_np(actions, TX_FD + 1);
            Syscalls.C.posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSID);
            int[] pid = new int[1];
            int rc = Syscalls.C.posix_spawn(pid, Syscalls.cString(SHELL), actions, attr,
                    new String[] {NAME, "-c", WATCH, NAME, dir.resolve(OWNER_FILE).toString(),
                            Long.toString(orphanSeconds), null},
                    new String[] {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", null});
            if (rc != 0) {
                Syscalls.closeQuietly(pair[0]);
                Syscalls.closeQuietly(pair[1]);
                throw new IOException("cannot start " + NAME + " (" + SHELL + "): " + Syscalls.strerror(rc));
            }
            awaitExec(pid[0]);
            return new FdKeeper(dir, pid[0], pair[0], pair[1]);
        } finally {
            Syscalls.C.posix_spawn_file_actions_destroy(actions);
            Syscalls.C.posix_spawnattr_destroy(attr);
        }
    }

    /** Returns once {@code pid} runs the keeper's program, so that it can be recognised by its name. */
    private static void awaitExec(long pid) throws IOException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!isKeeper(pid)) {
            if (System.nanoTime() > deadline) {
                throw new IOException(NAME + " (pid " + pid + ") did not start: is " + SHELL + " there?");
            }
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while starting " + NAME);
            }
        }
    }

    private static long readPid(Path pidFile) throws IOException {
        try {
            return Long.parseLong(Files.readString(pidFile, StandardCharsets.US_ASCII).trim());
        } catch (NoSuchFileException e) {
            return -1;
        } catch (NumberFormatException e) {
            LOG.warn("ignoring {}: not a pid", pidFile);
            return -1;
        }
    }

    /** Whether {@code pid} runs a keeper (a recycled pid runs something else). */
    static boolean isKeeper(long pid) {
        try {
            byte[] cmdline = Files.readAllBytes(Path.of("/proc/" + pid + "/cmdline"));
            return new String(cmdline, StandardCharsets.UTF_8).startsWith(NAME + "\0");
        } catch (IOException e) {
            return false;
        }
    }
}
