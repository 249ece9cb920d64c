package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node without FUSE (no /dev/fuse, as in a container started without the device): the daemon starts, says once
 * at WARN that lazy pulling is off and how to fix it, and eStargz images are pulled in full, through containerd's
 * download, instead of every lazy Prepare failing.
 */
class NoFuseTest {

    private static Stack stack;

    @BeforeAll
    static void setUp() throws Exception {
        stack = Stack.start();
        stack.lazysnap.stop();
        // A private mount namespace whose /dev is a fresh tmpfs holding only the devices a JVM needs.
        stack.lazysnap.wrapWith(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c", """
                saved=$(mktemp -d) && mount --bind /dev "$saved" && mount -t tmpfs -o mode=0755 tmpfs /dev &&
                for n in null zero full random urandom tty; do
                  touch /dev/$n && mount --bind "$saved/$n" /dev/$n || exit 1
                done && mkdir /dev/shm /dev/pts && exec "$@"
                """, "lazysnap-without-fuse"));
        stack.lazysnap.start();
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void anEstargzImageIsDownloadedAndRunsWhenTheNodeHasNoFuse() throws Exception {
        assertTrue(stack.lazysnap.logged("lazy pulling is OFF: the FUSE device /dev/fuse is missing"),
                stack.lazysnap.log());
        assertTrue(stack.lazysnap.logged("fix: modprobe fuse"), stack.lazysnap.log());
        Path src = Files.createDirectories(stack.dir.resolve("nofuse-src"));
        Files.writeString(Files.createDirectories(src.resolve("data/srv")).resolve("hello.txt"), "no fuse here\n");
        String plain = stack.pushBusyboxWith("nofuse", src, List.of("cat", "/srv/hello.txt"));
        String estargz = stack.registry + "/systest/nofuse:esgz";
        LazysnapCli.convert(plain, estargz);

        String out = LazysnapCli.rpull(stack, estargz);

        // Without FUSE every layer is downloaded whole: by the daemon's parallel unpack, as a plain layer would be.
        assertEquals(2, out.lines().filter(l -> l.contains(" unpacked ")).count(), out);
        assertEquals("no fuse here\n", stack.ctr("run", "--rm", "--snapshotter", "lazysnap", estargz, "nofuse-1"),
                stack.logs());
        assertTrue(Processes.mountsUnder(stack.lazysnap.root).stream().noneMatch(m -> m.endsWith("/fs")),
                "nothing is FUSE-mounted");
    }
}
