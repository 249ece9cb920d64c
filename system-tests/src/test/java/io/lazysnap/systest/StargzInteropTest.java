package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The second half of the interop promise: images converted by {@code lazysnap convert} (eStargz, zstd:chunked) run
 * through the reference implementation, stargz-snapshotter's own daemon, pulled with its {@code ctr-remote image
 * rpull}: its FUSE filesystem mounts every layer, verifies it against our TOC digest, and the container starts while
 * most of the image stays in the registry. (LazyPullTest covers the first half: stargz-converted images in lazysnap.)
 */
class StargzInteropTest {

    private static final int DATA_FILES = 24;
    private static final int DATA_FILE_BYTES = 2 << 20;
    private static final long DATA_BYTES = (long) DATA_FILES * DATA_FILE_BYTES;

    private static Stack stack;
    private static StargzSnapshotterProcess stargz;
    private static String plain;

    @BeforeAll
    static void setUp() throws Exception {
        Path binary = StargzSnapshotterProcess.build();
        // Background fetch would (rightly) download the rest of each layer; off, to see lazy reads alone.
        stack = Stack.start((dir, registry) -> "",
                dir -> stargz = new StargzSnapshotterProcess(binary, dir, "no_background_fetch = true\n"));
        Path src = Files.createDirectories(stack.dir.resolve("interop-src"));
        Path data = Files.createDirectories(src.resolve("data/srv/blobs"));
        Random random = new Random(11);
        byte[] bytes = new byte[DATA_FILE_BYTES];
        for (int i = 0; i < DATA_FILES; i++) {
            random.nextBytes(bytes);
            Files.write(data.resolve("blob-" + i), bytes);
        }
        Files.writeString(src.resolve("data/srv/small.txt"), "served by stargz\n");
        plain = stack.pushBusyboxWith("interop", src, List.of("cat", "/srv/small.txt"));
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (stack == null) {
            return;
        }
        try {
            // Before the stack's own clean-up (which would lazily unmount anything left): stargz unmounts its layers.
            stargz.close();
            assertEquals(List.of(), stargz.fuseMounts(), "stargz unmounted its FUSE layers on SIGTERM");
        } finally {
            stack.close();
        }
    }

    @Test
    void eStargzConvertedByLazysnapRunsLazilyInStargzSnapshotter() throws Exception {
        String ref = stack.registry + "/systest/interop:esgz";
        LazysnapCli.convert(plain, ref);
        runLazilyInStargz(ref, "interop-esgz");
    }

    @Test
    void zstdChunkedConvertedByLazysnapRunsLazilyInStargzSnapshotter() throws Exception {
        String ref = stack.registry + "/systest/interop:zstd";
        LazysnapCli.convert("--zstdchunked", plain, ref);
        runLazilyInStargz(ref, "interop-zstd");
    }

    private static void runLazilyInStargz(String ref, String container) throws Exception {
        int mountsBefore = stargz.fuseMounts().size();
        long verifiedBefore = stargz.logged("verified");
        long remoteBefore = stargz.logged("prepared remote snapshot");
        stack.registryTraffic.reset();
        Processes.run(Duration.ofMinutes(3), "ctr-remote", "--address", stack.containerdSocket().toString(),
                "--namespace", Stack.NAMESPACE, "image", "rpull", "--plain-http", "--snapshotter", "stargz", ref);
        String output = stack.ctr("run", "--rm", "--snapshotter", "stargz", ref, container);
        long served = stack.registryTraffic.served();

        assertEquals("served by stargz\n", output, logs());
        List<String> fuse = stargz.fuseMounts();
        assertEquals(mountsBefore + 2, fuse.size(), "stargz mounted both layers through FUSE: " + fuse + "\n" + logs());
        assertTrue(served < DATA_BYTES / 10, "registry served " + served + " bytes of a " + DATA_BYTES
                + "-byte data layer before the container printed (want < 10 %)\n" + logs());
        // stargz's fs checked each layer's TOC against our toc.digest annotation and its snapshotter committed
        // them as remote snapshots, i.e. told containerd not to download them.
        assertEquals(verifiedBefore + 2, stargz.logged("verified"), logs());
        assertEquals(remoteBefore + 2, stargz.logged("prepared remote snapshot"), logs());
    }

    private static String logs() throws Exception {
        return "--- stargz log\n" + stargz.log() + "\n" + stack.logs();
    }
}
