package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Processes;
import io.lazysnap.testkit.CriClient;
import io.lazysnap.testkit.Registry;
import io.lazysnap.testkit.TcpProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The reason lazysnap exists: a ~200 MiB image converted to eStargz starts a container through FUSE mounts while
 * the registry has served a small fraction of it. Converted and pulled by stargz-snapshotter's own {@code ctr-remote}
 * (its label protocol), by our {@code lazysnap convert} and {@code rpull}, and pulled by Kubernetes' CRI; it keeps
 * working after kill -9, and pulls over HTTPS too.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LazyPullTest {

    private static final int DATA_FILES = 96;
    private static final int DATA_FILE_BYTES = 2 << 20;

    private static Stack stack;
    private static String plain;
    private static String estargz;
    private static String ours;
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
        plain = stack.pushBusyboxWith("lazy", src, List.of("cat", "/srv/small.txt"));
        estargz = stack.ctrRemoteConvert(plain, stack.registry + "/systest/lazy:esgz");
        ours = stack.registry + "/systest/lazy:ours";
        // What the entrypoint reads first (with /bin/busybox, nearly all of its layer, that layer would be pulled
        // whole); /bin/sh, a symlink, also keeps the busybox layer apart from the CRI test's conversion.
        LazysnapCli.convert("--prioritize", "/bin/sh", "--prioritize", "/srv/small.txt", plain, ours);
        imageBytes = Long.parseLong(Processes.run(Duration.ofSeconds(10), "du", "-sb",
                stack.dir.resolve("lazy-build").toString()).split("\\s")[0]);
    }

    private static List<String> fuseMounts() throws java.io.IOException {
        return Processes.mountsUnder(stack.lazysnap.root).stream().filter(m -> m.endsWith("/fs")).toList();
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
        List<String> fuse = fuseMounts();
        assertEquals(2, fuse.size(), "both layers are mounted through FUSE: " + fuse);
        String snapshots = stack.ctr("snapshots", "--snapshotter", "lazysnap", "ls");
        assertEquals(3, snapshots.strip().split("\n").length, snapshots);
    }

    @Test
    @Order(2)
    void startsFromAnImageOfLazysnapConvertPulledWithLazysnapRpull() throws Exception {
        long mountsBefore = fuseMounts().size();
        stack.registryTraffic.reset();
        String pulled = LazysnapCli.rpull(stack, ours);
        String output = stack.ctr("run", "--rm", "--snapshotter", "lazysnap", ours, "lazy-ours");
        long served = stack.registryTraffic.served();

        assertEquals("read lazily\n", output, stack.logs());
        assertTrue(served < imageBytes / 20, "registry served " + served + " of " + imageBytes + " bytes\n" + pulled);
        assertEquals(mountsBefore + 2, fuseMounts().size(), "both layers of the converted image are FUSE mounts");
    }

    @Test
    @Order(3)
    void startsLazilyThroughKubernetesCri() throws Exception {
        new TestImage(Files.createDirectories(stack.dir.resolve("pause-build")))
                .layer(TestImage.busyboxRootfs(Files.createDirectories(stack.dir.resolve("pause-src"))))
                .push(stack.registry, "systest/pause", "1", List.of("sleep", "3600"));
        String ci = stack.registry + "/systest/lazy:cri";
        LazysnapCli.convert(plain, ci);
        long mountsBefore = fuseMounts().size();
        stack.registryTraffic.reset();
        try (CriClient cri = new CriClient(stack.containerdSocket())) {
            String output = cri.runPod(ci, stack.dir.resolve("pods/lazy"), List.of("cat", "/srv/small.txt"));
            assertEquals("read lazily\n", output, stack.logs());
        }
        long served = stack.registryTraffic.served();
        assertTrue(served < imageBytes / 20, "registry served " + served + " of " + imageBytes + " bytes");
        assertTrue(fuseMounts().size() >= mountsBefore + 2, "the pod's image layers are FUSE mounts");
    }

    @Test
    @Order(4)
    void aLayerWhoseTocTheHeapCannotHoldIsDownloadedAndTheDaemonStaysUp() throws Exception {
        // 60,000 files: about 14 MB of TOC JSON, over the daemon's limit of a tenth of its 64 MiB heap. Opening it
        // ran the daemon's JVM out of heap (and out of the node: ExitOnOutOfMemoryError).
        Path src = Files.createDirectories(stack.dir.resolve("many-src"));
        for (int i = 0; i < 60_000; i++) {
            Path dir = Files.createDirectories(src.resolve("data/many/d-" + i / 500));
            Files.writeString(dir.resolve("f-" + i), "file " + i + "\n");
        }
        String plainMany = stack.pushBusyboxWith("many", src, List.of("cat", "/many/d-119/f-59999"));
        String oursMany = stack.registry + "/systest/many:ours";
        LazysnapCli.convert(plainMany, oursMany);
        long mountsBefore = fuseMounts().size();

        LazysnapCli.rpull(stack, oursMany);
        assertEquals("file 59999\n", stack.ctr("run", "--rm", "--snapshotter", "lazysnap", oursMany, "many-1"),
                stack.logs());
        assertTrue(stack.lazysnap.logged("bytes is more than this JVM can open"), stack.lazysnap.log());
        assertTrue(stack.lazysnap.logged("downloading it instead"), stack.lazysnap.log());
        // The busybox layer may share its snapshot with an image pulled before; the many-file layer is no mount.
        assertTrue(fuseMounts().size() <= mountsBefore + 1, fuseMounts() + " after " + mountsBefore);
        assertEquals(0, stack.lazysnap.logCount("OutOfMemoryError"), stack.lazysnap.log());
        assertEquals("read lazily\n", stack.ctr("run", "--rm", "--snapshotter", "lazysnap", ours, "many-2"),
                "the same daemon serves on");
    }

    @Test
    @Order(5)
    void runsAgainAfterKill9WithoutPullingAgain() throws Exception {
        stack.lazysnap.kill9();
        stack.lazysnap.start();
        long remote = fuseMounts().size();
        assertTrue(stack.lazysnap.logged("restored " + remote + " of " + remote + " remote layers"),
                stack.lazysnap.log());
        String output = PlainPullTest.retryWhileUnavailable(
                () -> stack.ctr("run", "--rm", "--snapshotter", "lazysnap", estargz, "lazy-2"));
        assertEquals("read lazily\n", output, stack.logs());
    }

    @Test
    @Order(6)
    void startsLazilyFromAnHttpsRegistry() throws Exception {
        Path src = Files.createDirectories(stack.dir.resolve("tls-src"));
        Path data = Files.createDirectories(src.resolve("data/srv/blobs"));
        Random random = new Random(8);
        byte[] bytes = new byte[DATA_FILE_BYTES];
        for (int i = 0; i < 16; i++) {
            random.nextBytes(bytes);
            Files.write(data.resolve("blob-" + i), bytes);
        }
        Files.writeString(src.resolve("data/srv/small.txt"), "read over TLS\n");
        String plainTls = stack.pushBusyboxWith("tls", src, List.of("cat", "/srv/small.txt"));
        LazysnapCli.convert("--prioritize", "/bin/sh", "--prioritize", "/srv/small.txt", plainTls,
                stack.registry + "/systest/tls:ours");
        // The same storage served over HTTPS, with a certificate of its own: a registry on loopback is not verified
        // (containerd's convention), so this is about speaking TLS, the daemon's BoringSSL engine included.
        Path tls = Files.createDirectories(stack.dir.resolve("tls-registry"));
        Processes.run(Duration.ofSeconds(30), "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=lazysnap systest registry",
                "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", tls.resolve("tls.key").toString(), "-out",
                tls.resolve("tls.crt").toString());
        try (Registry https = Registry.on(tls).storage(stack.dir.resolve("registry/storage"))
                .yaml(String.join("\n", "  tls:", "    certificate: " + tls.resolve("tls.crt"),
                        "    key: " + tls.resolve("tls.key"))).start();
             TcpProxy traffic = TcpProxy.to(https.address())) {
            String image = traffic.host() + "/systest/tls:ours";
            long mountsBefore = fuseMounts().size();
            stack.registryTraffic.reset();
            String pulled = LazysnapCli.rpullOverTls(Map.of(), stack, image);
            String output = stack.ctr("run", "--rm", "--snapshotter", "lazysnap", image, "tls-1");

            assertEquals("read over TLS\n", output, pulled + stack.logs());
            assertEquals(0, stack.registryTraffic.served(), "nothing came over plain HTTP");
            long served = traffic.served();
            assertTrue(served > 0 && served < 16L * DATA_FILE_BYTES / 8, "the HTTPS registry served " + served
                    + " bytes of 16 files of " + DATA_FILE_BYTES + "\n" + pulled);
            assertTrue(fuseMounts().size() > mountsBefore, "the data layer is a FUSE mount: " + fuseMounts());
            assertTrue(stack.lazysnap.logged("SHA-256 and TLS: BoringSSL's"), stack.lazysnap.log());
        }
    }
}
