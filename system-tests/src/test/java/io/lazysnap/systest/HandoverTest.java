package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Processes;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A running container does not notice the daemon going away: a container reads a lazily served 32 MiB file in a
 * loop and checks its digest while the daemon is stopped with SIGTERM, killed with SIGKILL, and replaced by another
 * build, each time started again (here without systemd: the lazysnap-fdkeeper holds the FUSE connections). The
 * page cache is dropped while the daemon is away, so the container's reads reach FUSE and wait in the kernel for
 * the next daemon. Files never read before are fetched lazily afterwards; new containers start without a pull.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HandoverTest {

    private static final int BIG = 32 << 20;
    private static final int LATER_FILES = 3;
    /** runc keeps a container's state by id under /run across stacks: one id per run. */
    private static final String READER = "reader-" + ProcessHandle.current().pid();

    private static Stack stack;
    private static String image;
    private static String bigDigest;
    private static final String[] laterDigests = new String[LATER_FILES];
    private static Path out;

    @BeforeAll
    static void setUp() throws Exception {
        stack = Stack.start((dir, registry) -> "no_background_fetch = true\n[fuse]\nhandover = \"keeper\"\n");
        Path src = Files.createDirectories(stack.dir.resolve("handover-src"));
        Path data = Files.createDirectories(src.resolve("data/data"));
        Random random = new Random(13);
        byte[] big = new byte[BIG];
        random.nextBytes(big);
        Files.write(data.resolve("big"), big);
        bigDigest = sha256(big);
        for (int i = 0; i < LATER_FILES; i++) {
            byte[] later = new byte[1 << 20];
            random.nextBytes(later);
            Files.write(data.resolve("later-" + i), later);
            laterDigests[i] = sha256(later);
        }
        String plain = stack.pushBusyboxWith("handover", src, List.of("sh"));
        image = stack.registry + "/systest/handover:esgz";
        LazysnapCli.convert(plain, image);
        out = Files.createDirectories(stack.dir.resolve("reader-out"));
        stack.ctrRemoteRpull(image);
        // The reader: one line per pass over the big file, "ok", "BAD <digest>" or "ERR" (the read failed).
        String loop = "while true; do s=$(busybox sha256sum /data/big) || { echo ERR >> /out/log; continue; };"
                + " if [ \"${s%% *}\" = \"" + bigDigest + "\" ]; then echo ok >> /out/log;"
                + " else echo \"BAD $s\" >> /out/log; fi; done";
        stack.ctr("run", "-d", "--snapshotter", "lazysnap",
                "--mount", "type=bind,src=" + out + ",dst=/out,options=rbind:rw",
                image, READER, "sh", "-c", loop);
        awaitPasses(2);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (stack == null) {
            return;
        }
        try {
            stack.ctr("task", "kill", "-s", "KILL", READER);
        } catch (IOException e) {
            // already gone
        }
        Path dir = stack.dir;
        Optional<ProcessHandle> keeper = stack.lazysnap.keeper();
        stack.close();
        assertEquals(List.of(), Processes.mountsUnder(dir), "mounts left behind");
        assertTrue(keeper.isPresent(), "a lazysnap-fdkeeper kept the connections");
        assertTrue(!keeper.get().isAlive(), "the lazysnap-fdkeeper is left behind");
    }

    @Test
    @Order(1)
    void sigtermAndStartAgainIsInvisible() throws Exception {
        int before = lines().size();
        stack.lazysnap.stop();
        dropPageCache();
        Thread.sleep(1000); // the reader's requests wait in the kernel meanwhile
        stack.lazysnap.start();
        assertTrue(stack.lazysnap.logged("took over the mount of"), stack.lazysnap.log());
        String ls = Processes.run(Duration.ofMinutes(1), "bin/lazysnap", "ls", "--root",
                stack.lazysnap.root.toString());
        assertTrue(ls.lines().anyMatch(l -> l.contains("fuse.lazysnap (taken over)")), ls);
        awaitPasses(before + 2);
        assertEquals(List.of(), lines().stream().filter(l -> !l.equals("ok")).toList(),
                "a graceful restart fails no read");
        assertFilesReadLazilyAfterRestart(0);
    }

    @Test
    @Order(2)
    void kill9AndStartAgainNeverReturnsWrongBytes() throws Exception {
        int before = lines().size();
        stack.lazysnap.kill9();
        dropPageCache();
        Thread.sleep(1000);
        stack.lazysnap.start();
        awaitPasses(before + 2);
        // Requests the killed daemon had taken fail (ECONNABORTED: an ERR line); the rest wait for the next one.
        assertEquals(List.of(), lines().stream().filter(l -> l.startsWith("BAD")).toList(), "wrong bytes");
        assertFilesReadLazilyAfterRestart(1);
    }

    @Test
    @Order(3)
    void anotherBuildTakesTheMountsOver() throws Exception {
        Path jar;
        try (var jars = Files.list(Path.of("cli/target"))) {
            jar = jars.filter(p -> p.getFileName().toString().matches("lazysnap-cli-.*-all\\.jar"))
                    .findFirst().orElseThrow().toAbsolutePath();
        }
        Path other = stack.dir.resolve("other-build.jar");
        Files.copy(jar, other);
        try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + other.toUri()), Map.of())) {
            Files.writeString(zip.getPath("BUILD-ID"), "another build of the same version\n");
        }
        int before = lines().size();
        stack.lazysnap.stop();
        dropPageCache();
        stack.lazysnap.environment(Map.of("LAZYSNAP_JAR", other.toString()));
        stack.lazysnap.start();
        awaitPasses(before + 2);
        assertEquals(List.of(), lines().subList(before, lines().size()).stream().filter(l -> !l.equals("ok"))
                .toList(), "an upgrade fails no read");
        assertFilesReadLazilyAfterRestart(2);
    }

    /** A new container of the image, started without a pull, reads a file nothing read before: fetched now. */
    private static void assertFilesReadLazilyAfterRestart(int i) throws Exception {
        stack.registryTraffic.reset();
        String output = PlainPullTest.retryWhileUnavailable(() -> stack.ctr("run", "--rm", "--snapshotter",
                "lazysnap", image, "later-" + i, "busybox", "sha256sum", "/data/later-" + i));
        assertEquals(laterDigests[i], output.split("\\s")[0], stack.logs());
        assertTrue(stack.registryTraffic.served() >= 1 << 19, "the file came from the registry, lazily: "
                + stack.registryTraffic.served() + " bytes");
    }

    private static void awaitPasses(int n) throws Exception {
        long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
        while (lines().stream().filter(l -> l.equals("ok")).count() < n) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the reader made " + lines() + " passes, not " + n + "\n" + stack.logs());
            }
            Thread.sleep(200);
        }
    }

    private static List<String> lines() throws IOException {
        Path log = out.resolve("log");
        return Files.exists(log) ? Files.readAllLines(log) : List.of();
    }

    private static void dropPageCache() throws IOException {
        Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3\n");
    }

    private static String sha256(byte[] bytes) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    }
}
