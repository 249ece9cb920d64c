package io.lazysnap.fs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;
import jnr.ffi.Pointer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The store without systemd: a {@code lazysnap-fdkeeper} process ({@code sleep infinity} under another name, in a
 * session of its own) whose descriptors 0 and 1 are the two ends of a Unix datagram socket pair. Each connection
 * is a message queued on that socket, carrying the descriptor; the keeper never reads, it only keeps the queue
 * alive. The next daemon copies both ends out of the keeper ({@code pidfd_getfd}), reads every message and queues
 * it again; its pid is in {@code <state>/handover/keeper.pid}. Taking one connection out re-queues the others.
 */
final class FdKeeper extends ConnectionStore {

    private static final Logger LOG = LoggerFactory.getLogger(FdKeeper.class);
    static final String NAME = "lazysnap-fdkeeper";
    private static final short POSIX_SPAWN_SETSID = 0x80;
    private static final int SO_SNDBUFFORCE = 32;
    private static final int SEND_BUFFER = 16 << 20;

    private final long pid;
    private final int rx;
    private final int tx;
    /** Messages queued on the keeper's socket, all ours. */
    private int queued;

    private FdKeeper(long pid, int rx, int tx) {
        this.pid = pid;
        this.rx = rx;
        this.tx = tx;
    }

    static FdKeeper open(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path pidFile = dir.resolve("keeper.pid");
        long pid = readPid(pidFile);
        if (pid > 0 && isKeeper(pid)) {
            int pidfd = Syscalls.pidfdOpen(pid);
            try {
                FdKeeper keeper = new FdKeeper(pid, Syscalls.pidfdGetfd(pidfd, 0), Syscalls.pidfdGetfd(pidfd, 1));
                keeper.recover();
                return keeper;
            } finally {
                Syscalls.closeQuietly(pidfd);
            }
        }
        FdKeeper keeper = spawn();
        Path tmp = dir.resolve("keeper.pid." + ProcessHandle.current().pid());
        Files.writeString(tmp, keeper.pid + "\n", StandardCharsets.US_ASCII);
        Files.move(tmp, pidFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        LOG.info("started {} (pid {}): FUSE connections survive this daemon", NAME, keeper.pid);
        return keeper;
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

    private static FdKeeper spawn() throws IOException {
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
            Syscalls.C.posix_spawn_file_actions_adddup2(actions, pair[0], 0);
            Syscalls.C.posix_spawn_file_actions_adddup2(actions, pair[1], 1);
            Syscalls.C.posix_spawn_file_actions_addopen(actions, 2, Syscalls.cString("/dev/null"), Syscalls.O_RDWR, 0);
            // Nothing else of the daemon's (its lock, its sockets) may live on in the keeper.
            Syscalls.C.posix_spawn_file_actions_addclosefrom_np(actions, 3);
            Syscalls.C.posix_spawnattr_setflags(attr, POSIX_SPAWN_SETSID);
            String sleep = Files.isExecutable(Path.of("/usr/bin/sleep")) ? "/usr/bin/sleep" : "/bin/sleep";
            int[] pid = new int[1];
            int rc = Syscalls.C.posix_spawn(pid, Syscalls.cString(sleep), actions, attr,
                    new String[] {NAME, "infinity", null}, new String[] {null});
            if (rc != 0) {
                Syscalls.closeQuietly(pair[0]);
                Syscalls.closeQuietly(pair[1]);
                throw new IOException("cannot start " + NAME + " (" + sleep + "): " + Syscalls.strerror(rc));
            }
            return new FdKeeper(pid[0], pair[0], pair[1]);
        } finally {
            Syscalls.C.posix_spawn_file_actions_destroy(actions);
            Syscalls.C.posix_spawnattr_destroy(attr);
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
