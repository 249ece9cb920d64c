package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import java.util.OptionalInt;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** systemd's side of the file descriptor store, played by a datagram socket of the test's. */
class SystemdFdStoreTest {

    /** bind(2), which only the test needs. */
    public interface Bind {
        int bind(int fd, Pointer address, int length);
    }

    private static final Bind BIND = LibraryLoader.create(Bind.class).load("c");
    private final String address = "@lazysnap-fdstore-test-" + ProcessHandle.current().pid();
    private int manager = -1;

    @BeforeEach
    void bindTheManagersSocket() throws Exception {
        manager = Syscalls.check(Syscalls.C.socket(Syscalls.AF_UNIX, Syscalls.SOCK_DGRAM | Syscalls.SOCK_CLOEXEC,
                0), "socket");
        byte[] name = address.getBytes(StandardCharsets.UTF_8);
        Pointer sockaddr = Syscalls.allocate(110);
        sockaddr.putShort(0, (short) Syscalls.AF_UNIX);
        sockaddr.put(2, name, 0, name.length);
        sockaddr.putByte(2, (byte) 0); // abstract namespace
        Syscalls.check(BIND.bind(manager, sockaddr, 2 + name.length), "bind");
    }

    @AfterEach
    void close() {
        Syscalls.closeQuietly(manager);
    }

    @Test
    void connectionsGoToTheStoreNamedByTheirMountPoint() throws Exception {
        SystemdFdStore store = SystemdFdStore.open(Map.of("NOTIFY_SOCKET", address));
        int fd = Syscalls.check(Syscalls.C.open(Syscalls.cString("/dev/null"), Syscalls.O_RDWR), "open");
        store.keep(Path.of("/var/lib/lazysnap/snapshots/7/fs"), fd);
        Syscalls.closeQuietly(fd);

        FdMessages.Message stored = FdMessages.receive(manager);
        assertEquals("FDSTORE=1\nFDNAME=lzs1/var/lib/lazysnap/snapshots/7/fs\nFDPOLL=0\n", stored.text());
        assertEquals(1, stored.fds().length, "the descriptor travels with the message");
        Syscalls.closeQuietly(stored.fds()[0]);

        store.drop(Path.of("/var/lib/lazysnap/snapshots/7/fs"));
        FdMessages.Message removed = FdMessages.receive(manager);
        assertEquals("FDSTOREREMOVE=1\nFDNAME=lzs1/var/lib/lazysnap/snapshots/7/fs\n", removed.text());
        assertArrayEquals(new int[0], removed.fds());
    }

    @Test
    void aStartTakesBackTheDescriptorsSystemdPassedByName() throws Exception {
        // systemd passes stored descriptors from 3 on; 3 and 4 are open in any JVM. Neither is closed here.
        SystemdFdStore store = SystemdFdStore.open(Map.of("NOTIFY_SOCKET", address,
                "LISTEN_PID", Long.toString(ProcessHandle.current().pid()), "LISTEN_FDS", "2",
                "LISTEN_FDNAMES", "lzs1/var/lib/lazysnap/snapshots/3/fs:stored-by-someone-else"));
        OptionalInt taken = store.take(Path.of("/var/lib/lazysnap/snapshots/3/fs"));
        assertEquals(OptionalInt.of(3), taken);
        assertEquals(1, store.handOvers());
        assertFalse(store.take(Path.of("/var/lib/lazysnap/snapshots/4/fs")).isPresent());
    }

    @Test
    void anotherProcesssDescriptorsAreNotTaken() throws Exception {
        SystemdFdStore store = SystemdFdStore.open(Map.of("NOTIFY_SOCKET", address, "LISTEN_PID", "1",
                "LISTEN_FDS", "1", "LISTEN_FDNAMES", "lzs1/var/lib/lazysnap/snapshots/3/fs"));
        assertFalse(store.take(Path.of("/var/lib/lazysnap/snapshots/3/fs")).isPresent());
    }
}
