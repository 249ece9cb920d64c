package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keeper process holds descriptors for a next process, gives them back by name, and ends when orphaned. */
class FdKeeperTest {

    @TempDir
    Path tmp;
    private long keeperPid = -1;

    @AfterEach
    void endKeeper() {
        if (keeperPid > 0 && FdKeeper.isKeeper(keeperPid)) {
            Syscalls.C.kill((int) keeperPid, Syscalls.SIGKILL);
            Syscalls.C.waitpid((int) keeperPid, null, 0);
        }
    }

    @Test
    void aNextStoreGetsBackWhatIsKeptByMountPoint() throws Exception {
        Path dir = tmp.resolve("handover");
        Path a = Files.createDirectories(tmp.resolve("a"));
        Path b = Files.createDirectories(tmp.resolve("b"));
        FdKeeper first = FdKeeper.open(dir, Duration.ofMinutes(1));
        keeperPid = Long.parseLong(Files.readString(dir.resolve(FdKeeper.PID_FILE)).trim());
        assertTrue(FdKeeper.isKeeper(keeperPid));
        int fdA = openDevNull();
        int fdB = openDevNull();
        first.keep(a, fdA);
        first.keep(b, fdB);
        Syscalls.closeQuietly(fdA); // only the keeper's queue holds the open files now
        Syscalls.closeQuietly(fdB);

        FdKeeper second = FdKeeper.open(dir, Duration.ofMinutes(1));
        OptionalInt tookA = second.take(a);
        assertTrue(tookA.isPresent() && second.take(b).isPresent(), "both connections came back");
        assertEquals(2, second.handOvers());
        assertTrue(Syscalls.C.fcntl(tookA.getAsInt(), 1 /* F_GETFD */, 0) >= 0, "a live descriptor");
        second.drop(a);

        FdKeeper third = FdKeeper.open(dir, Duration.ofMinutes(1));
        assertFalse(third.take(a).isPresent(), "a dropped connection is not handed over again");
        assertTrue(third.take(b).isPresent());
        assertEquals(keeperPid, Long.parseLong(Files.readString(dir.resolve(FdKeeper.PID_FILE)).trim()),
                "one keeper for all");
        third.close();
        assertTrue(FdKeeper.isKeeper(keeperPid), "a keeper that keeps something outlives its daemon");
    }

    @Test
    void anEmptyKeeperEndsWithItsDaemon() throws Exception {
        Path dir = tmp.resolve("handover");
        FdKeeper store = FdKeeper.open(dir, Duration.ofMinutes(1));
        keeperPid = Long.parseLong(Files.readString(dir.resolve(FdKeeper.PID_FILE)).trim());
        store.close();
        assertFalse(FdKeeper.isKeeper(keeperPid));
        assertFalse(Files.exists(dir.resolve(FdKeeper.PID_FILE)));
    }

    @Test
    void aKeeperWhoseDaemonIsGoneLetsGoAfterItsWait() throws Exception {
        Path dir = tmp.resolve("handover");
        FdKeeper store = FdKeeper.open(dir, Duration.ofSeconds(1));
        keeperPid = Long.parseLong(Files.readString(dir.resolve(FdKeeper.PID_FILE)).trim());
        int fd = openDevNull();
        store.keep(Files.createDirectories(tmp.resolve("m")), fd);
        Syscalls.closeQuietly(fd);
        Thread.sleep(2500);
        assertTrue(FdKeeper.isKeeper(keeperPid), "its daemon (this process) lives: it keeps waiting");
        Files.writeString(dir.resolve(FdKeeper.OWNER_FILE), "2147483646\n"); // a pid nothing has
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (FdKeeper.isKeeper(keeperPid) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertFalse(FdKeeper.isKeeper(keeperPid), "an orphaned keeper ends");
    }

    private static int openDevNull() throws Exception {
        return Syscalls.check(Syscalls.C.open(Syscalls.cString("/dev/null"), Syscalls.O_RDWR), "open /dev/null");
    }
}
