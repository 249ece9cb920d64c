package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * A node keeps many images: every lazily served layer's TOC and inode table take about a kilobyte of the daemon's
 * heap per file for as long as the layer is mounted. Four images of 15,000 files came to more than the daemon's
 * default heap (64 MiB), which ended it (ExitOnOutOfMemoryError), and every start after that, which mounts the same
 * layers again. Now the TOCs of layers idle for {@code [fuse] toc_idle_sec} make room for new ones, with the
 * daemon's default heap and budget, and are opened again from disk when their files are used; a restart mounts
 * them all again within the same budget.
 */
class TocMemoryTest {

    private static final int IMAGES = 4;
    private static final int FILES = 15_000;

    @Test
    void idleLayersTocsMakeRoomAndAreOpenedAgainWhenTheirFilesAreRead() throws Exception {
        try (Stack stack = Stack.start((dir, registry) -> "[fuse]\ntoc_idle_sec = 1\n")) {
            List<String> images = new ArrayList<>();
            for (int n = 0; n < IMAGES; n++) {
                Path src = Files.createDirectories(stack.dir.resolve("toc-src-" + n));
                for (int i = 0; i < FILES; i++) {
                    Path dir = Files.createDirectories(src.resolve("data/many/d-" + i / 500));
                    Files.writeString(dir.resolve("f-" + i), content(n, i));
                }
                String plain = stack.pushBusyboxWith("toc" + n, src, List.of("cat", "/many/d-29/f-14999"));
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
            assertTrue(stack.lazysnap.logged("TOC dropped"), stack.lazysnap.log());

            // The first image's many-file layer, file by file, through its TOC opened again.
            List<String> mounts = Processes.mountsUnder(stack.lazysnap.root);
            Optional<Path> found = mounts.stream().map(Path::of)
                    .filter(m -> readQuietly(m.resolve("many/d-0/f-0")).equals(content(0, 0))).findFirst();
            String log = stack.lazysnap.log();
            assertTrue(found.isPresent(), () -> log + "\nthe first image's layer is not among "
                    + mounts.stream().map(m -> m + ": " + readQuietly(Path.of(m, "many/d-0/f-0"))).toList());
            Path first = found.get();
            for (int i = 0; i < FILES; i++) {
                assertEquals(content(0, i), Files.readString(first.resolve("many/d-" + i / 500 + "/f-" + i)));
            }
            assertTrue(stack.lazysnap.logged("opened again"), stack.lazysnap.log());
            assertEquals(content(0, FILES - 1), stack.ctr("run", "--rm", "--snapshotter", "lazysnap", images.get(0),
                    "toc-again"), stack.logs());
            assertEquals(0, stack.lazysnap.logCount("OutOfMemoryError"), stack.lazysnap.log());

            // A start mounts every layer again: those no container uses make room for the others.
            stack.lazysnap.kill9();
            stack.lazysnap.start();
            long remote = Processes.mountsUnder(stack.lazysnap.root).stream().filter(m -> m.endsWith("/fs")).count();
            assertTrue(stack.lazysnap.logged("restored " + remote + " of " + remote + " remote layers"),
                    stack.lazysnap.log());
            assertEquals(content(IMAGES - 1, FILES - 1), PlainPullTest.retryWhileUnavailable(() -> stack.ctr("run",
                    "--rm", "--snapshotter", "lazysnap", images.get(IMAGES - 1), "toc-restarted")), stack.logs());
            assertEquals(0, stack.lazysnap.logCount("OutOfMemoryError"), stack.lazysnap.log());
        }
    }

    private static String content(int image, int file) {
        return "image " + image + " file " + file + "\n";
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file);
        } catch (java.io.IOException e) {
            return e.toString();
        }
    }
}
