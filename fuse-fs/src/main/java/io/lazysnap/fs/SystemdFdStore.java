package io.lazysnap.fs;

import java.io.IOException;
import java.util.Map;

/**
 * systemd's file descriptor store: {@code FDSTORE=1} messages with the descriptor to {@code $NOTIFY_SOCKET}; systemd
 * hands the stored descriptors to the next start of the service as {@code LISTEN_FDS} from descriptor 3, named in
 * {@code LISTEN_FDNAMES}. The unit needs {@code FileDescriptorStoreMax=} and {@code NotifyAccess=main}.
 */
final class SystemdFdStore extends ConnectionStore {

    private static final int FIRST_FD = 3;
    private final String notifySocket;

    private SystemdFdStore(String notifySocket) {
        this.notifySocket = notifySocket;
    }

    /** The store of the service whose environment is {@code env} (this process's, but for tests). */
    static SystemdFdStore open(Map<String, String> env) throws IOException {
        String socket = env.get("NOTIFY_SOCKET");
        if (socket == null || socket.isEmpty()) {
            throw new IOException("NOTIFY_SOCKET is not set: not run by systemd (use handover mode keeper)");
        }
        SystemdFdStore store = new SystemdFdStore(socket);
        String pid = env.get("LISTEN_PID");
        String count = env.get("LISTEN_FDS");
        String names = env.get("LISTEN_FDNAMES");
        if (pid != null && count != null && Long.parseLong(pid.trim()) == ProcessHandle.current().pid()) {
            String[] n = names == null ? new String[0] : names.split(":", -1);
            for (int i = 0; i < Integer.parseInt(count.trim()); i++) {
                int fd = FIRST_FD + i;
                Syscalls.C.fcntl(fd, Syscalls.F_SETFD, Syscalls.FD_CLOEXEC);
                if (i >= n.length || !n[i].startsWith("lzs")) {
                    continue; // not a connection of ours
                }
                store.recovered(n[i], fd); // kept, or closed if of another inode numbering...
                if (ConnectionStore.mountpointOf(n[i]) == null) {
                    store.unstore(n[i]); // ...and then out of systemd's store: its mount must not wait on it
                }
            }
        }
        return store;
    }

    @Override
    public String describe() {
        return "systemd";
    }

    @Override
    void store(String name, int fd) throws IOException {
        // FDPOLL=0: systemd must not drop a connection on its own (a /dev/fuse descriptor polls readable often).
        notify("FDSTORE=1\nFDNAME=" + name + "\nFDPOLL=0\n", fd);
    }

    @Override
    void unstore(String name) throws IOException {
        notify("FDSTOREREMOVE=1\nFDNAME=" + name + "\n", -1);
    }

    private void notify(String text, int fd) throws IOException {
        int socket = Syscalls.check(Syscalls.C.socket(Syscalls.AF_UNIX, Syscalls.SOCK_DGRAM | Syscalls.SOCK_CLOEXEC,
                0), "socket");
        try {
            FdMessages.send(socket, text, fd, notifySocket);
        } finally {
            Syscalls.closeQuietly(socket);
        }
    }
}
