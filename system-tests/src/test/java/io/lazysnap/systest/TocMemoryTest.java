package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Processes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A node keeps many images: every lazily served layer's TOC and inode table take up to a kilobyte of the daemon's
 * heap per file for as long as the layer is mounted. Four images of 20,000 files came to more than the daemon's
 * default heap (64 MiB), which ended it (ExitOnOutOfMemoryError), and every start after that, which mounts the same
 * layers again. Now the TOCs of layers idle for {@code [fuse] toc_idle_sec} make room for new ones, with the
 * daemon's default heap and budget, and are opened again from disk when their files are used; a restart mounts
 * them all again within the same budget.
 */
class TocMemoryTest {

    private static final int IMAGES = 4;
    private static final int FILES = 20_000;

    @Test
    void idleLayersTocsMakeRoomAndAreOpenedAgainWhenTheirFilesAreRead() throws Exception {
        int port = Processes.freePort();
        try (Stack stack = Stack.start((dir, registry) -> "metrics_address = \"127.0.0.1:" + port + "\"\n"
                + "[fuse]\ntoc_idle_sec = 1\n")) {
            List<String> images = new ArrayList<>();
            for (int n = 0; n < IMAGES; n++) {
                Path src = Files.createDirectories(stack.dir.resolve("toc-src-" + n));
                for (int i = 0; i < FILES; i++) {
                    Path dir = Files.createDirectories(src.resolve("data/many/d-" + i / 500));
                    Files.writeString(dir.resolve("f-" + i), content(n, i));
                }
                String plain = stack.pushBusyboxWith("toc" + n, src, List.of("cat", last()));
                String ours = stack.registry + "/systest/toc" + n + ":ours";
                LazysnapCli.convert(plain, ours);
                images.add(ours);
            }
            for (int n = 0; n < IMAGES; n++) {
                LazysnapCli.rpull(stack, images.get(n));
                assertEquals(content(n, FILES - 1), stack.ctr("run", "--rm", "--snapshotter", "lazysnap",
                        images.get(n), "toc-" + n), stack.logs());
                Thread.sleep(1500); // past toc_idle_sec: this image's layers may make room for the next one's
            }
            assertFalse(stack.lazysnap.logged("downloading it instead"), "every layer was served lazily:\n"
                    + stack.lazysnap.log());
            assertTrue(metric(port, "lazysnap_toc_drops_total") >= IMAGES - 1, "each image made room for the next");

            // The first image's many-file layer through its TOC opened again: every directory, one file in 20 (each
            // a registry round trip: the whole layer is compared file by file in fuse-fs's LayerTreeTest).
            double reopens = metric(port, "lazysnap_toc_reopens_total");
            List<String> mounts = Processes.mountsUnder(stack.lazysnap.root);
            Optional<Path> found = mounts.stream().map(Path::of)
                    .filter(m -> readQuietly(m.resolve("many/d-0/f-0")).equals(content(0, 0))).findFirst();
            String log = stack.lazysnap.log();
            assertTrue(found.isPresent(), () -> log + "\nthe first image's layer is not among "
                    + mounts.stream().map(m -> m + ": " + readQuietly(Path.of(m, "many/d-0/f-0"))).toList());
            for (int i = 0; i < FILES; i += 20) {
                assertEquals(content(0, i), Files.readString(found.get().resolve(file(i))));
            }
            assertTrue(metric(port, "lazysnap_toc_reopens_total") > reopens, "its TOC was opened again");
            stack.lazysnap.logLines("opened again").forEach(System.out::println); // how long a reopen takes
            assertEquals(content(0, FILES - 1), stack.ctr("run", "--rm", "--snapshotter", "lazysnap", images.get(0),
                    "toc-again"), stack.logs());
            assertTrue(metric(port, "lazysnap_toc_heap_bytes") <= metric(port, "lazysnap_toc_heap_budget_bytes"));
            assertEquals(0, stack.lazysnap.logCount("OutOfMemoryError"), stack.lazysnap.log());

            // A start mounts every layer again: those no container uses make room for the others.
            stack.lazysnap.kill9();
            stack.lazysnap.start();
            long remote = Processes.mountsUnder(stack.lazysnap.root).stream().filter(m -> m.endsWith("/fs")).count();
            assertTrue(stack.lazysnap.logged("restored " + remote + " of " + remote + " remote layers"),
                    stack.lazysnap.log());
            // Restored trees are dropped as the next ones load, or once their prefetch lets go of them.
            eventually("restored layers made room", () -> metric(port, "lazysnap_toc_drops_total") >= IMAGES - 1
                    && metric(port, "lazysnap_toc_heap_bytes") <= metric(port, "lazysnap_toc_heap_budget_bytes"));
            assertEquals(content(IMAGES - 1, FILES - 1), PlainPullTest.retryWhileUnavailable(() -> stack.ctr("run",
                    "--rm", "--snapshotter", "lazysnap", images.get(IMAGES - 1), "toc-restarted")), stack.logs());
            assertEquals(0, stack.lazysnap.logCount("OutOfMemoryError"), stack.lazysnap.log());
        }
    }

    private interface Check {
        boolean holds() throws Exception;
    }

    private static void eventually(String what, Check check) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!check.holds()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(200);
        }
    }

    private static String content(int image, int file) {
        return "image " + image + " file " + file + "\n";
    }

    private static String file(int i) {
        return "many/d-" + i / 500 + "/f-" + i;
    }

    private static String last() {
        return "/" + file(FILES - 1);
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }

    /** A sample without labels from the daemon's metrics endpoint. */
    private static double metric(int port, String name) throws Exception {
        String body = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + "/metrics")).build(), HttpResponse.BodyHandlers.ofString())
                .body();
        return body.lines().filter(l -> l.startsWith(name + " ")).map(l -> Double.parseDouble(l.split(" ")[1]))
                .findFirst().orElseThrow(() -> new AssertionError(name + " is not among the metrics:\n" + body));
    }
}
