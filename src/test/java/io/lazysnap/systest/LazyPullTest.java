package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The reason lazysnap exists: an image converted to eStargz by stargz-snapshotter's own {@code ctr-remote}, pulled
 * with {@code ctr-remote image rpull} (the remote-snapshot label protocol), starts a container through FUSE
 * mounts while the registry has served a small fraction of the image; it keeps working after kill -9.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LazyPullTest {

    private static final int DATA_FILES = 96;
    private static final int DATA_FILE_BYTES = 2 << 20;

    private static Stack stack;
    private static String plain;
    private static String estargz;
    private static long imageBytes;

    @BeforeAll
    static void setUp() throws Exception {
        // Background fetch would (rightly) download the rest of the layers; turned off to measure lazy reads alone.
        stack = Stack.start((dir, registry) -> "no_background_fetch = true");
        Path src = Files.createDirectories(stack.dir.resolve("lazy-src"));
        Path data = Files.createDirectories(src.resolve("data/srv/blobs"));
        Random random = new Random(7);
        byte[] bytes = new byte[DATA_FILE_BYTES];
        for (int i = 0; i < DATA_FILES; i++) {
            random.nextBytes(bytes);
            Files.write(data.resolve("blob-" + i), bytes);
        }
        Files.writeString(src.resolve("data/srv/small.txt"), "read lazily\n");
        plain = new TestImage(Files.createDirectories(stack.dir.resolve("lazy-build")))
                .layer(TestImage.busyboxRootfs(src.resolve("base"))).layer(src.resolve("data"))
                .push(stack.registry, "systest/lazy", "plain", List.of("cat", "/srv/small.txt"));
        estargz = stack.ctrRemoteConvert(plain, stack.registry + "/systest/lazy:esgz");
        imageBytes = Long.parseLong(Processes.run(Duration.ofSeconds(10), "du", "-sb",
                stack.dir.resolve("lazy-build").toString()).split("\\s")[0]);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void startsFromAStargzConvertedImageWhileMostBytesStayInTheRegistry() throws Exception {
        stack.registryTraffic.reset();
        stack.ctrRemoteRpull(estargz);
        String output = stack.ctr("run", "--rm", "--snapshotter", "lazysnap", estargz, "lazy-1");
        long served = stack.registryTraffic.served();

        assertEquals("read lazily\n", output, stack.logs());
        assertTrue(served < imageBytes / 20, "registry served " + served + " of " + imageBytes
                + " bytes before the container printed (want < 5 %)\n" + stack.logs());
        List<String> fuse = Processes.mountsUnder(stack.lazysnap.root).stream().filter(m -> m.endsWith("/fs")).toList();
        assertEquals(2, fuse.size(), "both layers are mounted through FUSE: " + fuse);
        String snapshots = stack.ctr("snapshots", "--snapshotter", "lazysnap", "ls");
        assertEquals(3, snapshots.strip().split("\n").length, snapshots);
    }

    @Test
    @Order(2)
    void runsAgainAfterKill9WithoutPullingAgain() throws Exception {
        stack.lazysnap.kill9();
        stack.lazysnap.start();
        assertTrue(stack.lazysnap.log().contains("restored 2 of 2 remote layers"), stack.lazysnap.log());
        String output = PlainPullTest.retryWhileUnavailable(
                () -> stack.ctr("run", "--rm", "--snapshotter", "lazysnap", estargz, "lazy-2"));
        assertEquals("read lazily\n", output, stack.logs());
    }
}
