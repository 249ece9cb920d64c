package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Processes;
import io.lazysnap.testkit.Digests;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.daemon.root.Root;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Plain gzip images pulled through lazysnap's own parallel download and unpack (a Prepare with image labels, here
 * from {@code lazysnap rpull}): the layers on disk are identical, entry by entry and attribute by attribute, to
 * what containerd's own overlayfs unpack makes of the same image; a registry that ignores ranges works; a layer
 * whose diffID is wrong is refused and leaves nothing behind.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ParallelUnpackTest {

    private static final Pattern LOWERDIR = Pattern.compile("lowerdir=([^,\\s\"]+)");
    private static Stack stack;
    private static TestImage built;
    private static String image;

    @BeforeAll
    static void setUp() throws Exception {
        stack = Stack.start();
        Path src = Files.createDirectories(stack.dir.resolve("unpack-src"));
        TestImage.busyboxRootfs(src.resolve("l1"));
        Path l2 = Files.createDirectories(src.resolve("l2"));
        Processes.run(Duration.ofMinutes(1), "sh", "-ec", """
                cd %s
                mkdir -p etc usr/lib private data/gone-dir
                echo 'hello from layer 2' > etc/hello
                printf 'tool\\n' > usr/lib/tool && chown 1000:1000 usr/lib/tool && chmod 4755 usr/lib/tool
                ln usr/lib/tool usr/lib/tool-again
                ln -s usr/lib/ lib && ln -s /nowhere dangling
                mkfifo pipe && mknod null c 1 3
                setfattr -n user.origin -v layer2 etc/hello
                echo secret > private/key && chmod 600 private/key && chmod 700 private
                echo 'must be hidden' > data/remove-me && echo old > data/gone-dir/old
                """.formatted(l2));
        Path l3 = Files.createDirectories(src.resolve("l3/data/gone-dir"));
        Files.createFile(l3.resolve("../.wh.remove-me"));
        Files.createFile(l3.resolve(".wh..wh..opq"));
        Files.writeString(l3.resolve("new"), "new\n");
        // A GiB of incompressible bytes: a thousand range requests, unpacked while they arrive.
        Path l4 = Files.createDirectories(src.resolve("l4/big"));
        Processes.run(Duration.ofMinutes(2), "sh", "-ec", "head -c 1G /dev/urandom > " + l4.resolve("blob"));
        built = new TestImage(stack.dir).layer(src.resolve("l1")).layer(l2).layer(src.resolve("l3"))
                .layer(src.resolve("l4"));
        Processes.run(Duration.ofMinutes(1), "rm", "-rf", l4.toString(), stack.dir.resolve("layer-3.tar").toString());
        image = built.push(stack.registry, "systest/unpack", "v1",
                List.of("sh", "-c", "cat /etc/hello; ls /data /data/gone-dir; wc -c < /big/blob"));
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void rpullDownloadsAndUnpacksEveryLayerItselfAndTheImageRuns() throws Exception {
        String out = LazysnapCli.rpull(stack, image);

        assertEquals(4, out.lines().filter(l -> l.contains(" unpacked")).count(), "every layer unpacked:\n" + out);
        assertTrue(out.lines().anyMatch(l -> l.contains(" downloading ") && l.endsWith(" GiB")),
                "the GiB layer's download is shown while the daemon pulls it:\n" + out);
        assertTrue(stack.lazysnap.logged("mode=unpacked") || stack.lazysnap.logged("by parallel download"),
                stack.logs());
        assertEquals("hello from layer 2\n/data:\ngone-dir\n\n/data/gone-dir:\nnew\n1073741824\n",
                stack.ctr("run", "--rm", "--snapshotter", "lazysnap", image, "unpacked-1"), stack.logs());
    }

    @Test
    @Order(2)
    void aSecondRpullOfTheImageDownloadsNoLayerAgain() throws Exception {
        stack.registryTraffic.reset();

        LazysnapCli.rpull(stack, image);
        Thread.sleep(2000); // a download started ahead of the Prepares would go on after rpull returns

        assertTrue(stack.registryTraffic.served() < 1 << 20, "the registry sent " + stack.registryTraffic.served()
                + " bytes for an image the node has whole\n" + stack.logs());
    }

    @Test
    @Order(3)
    void everyLayerIsIdenticalToContainerdsOwnUnpack() throws Exception {
        stack.ctr("image", "pull", "--plain-http", "--snapshotter", "overlayfs", image);

        List<Path> ours = layerDirs("lazysnap", built.chainId());
        List<Path> containerds = layerDirs("overlayfs", built.chainId());

        assertEquals(4, ours.size());
        assertEquals(containerds.size(), ours.size());
        for (int i = 0; i < ours.size(); i++) {
            assertEquals(Trees.describe(containerds.get(i)), Trees.describe(ours.get(i)),
                    "layer " + (ours.size() - i) + ": " + ours.get(i) + " vs containerd's " + containerds.get(i));
        }
    }

    @Test
    @Order(4)
    void aRegistryThatIgnoresRangesIsReadAsOneStream() throws Exception {
        Path src = Files.createDirectories(stack.dir.resolve("norange-src/data"));
        Processes.run(Duration.ofMinutes(1), "sh", "-ec", "head -c 32M /dev/urandom > " + src.resolve("blob"));
        TestImage small = new TestImage(Files.createDirectories(stack.dir.resolve("norange-build")))
                .layer(stack.dir.resolve("unpack-src/l1")).layer(src.getParent());
        String ref = small.push(stack.registry, "systest/norange", "v1", List.of("sh", "-c", "wc -c < /data/blob"));
        stack.registryTraffic.stripRanges(true);
        try {
            String out = LazysnapCli.rpull(stack, ref);
            assertTrue(out.lines().anyMatch(l -> l.contains(" unpacked")), out);
            assertTrue(stack.lazysnap.logged("ignores range requests, downloading it as one stream"), stack.logs());
            assertEquals("33554432\n", stack.ctr("run", "--rm", "--snapshotter", "lazysnap", ref, "norange"),
                    stack.logs());
        } finally {
            stack.registryTraffic.stripRanges(false);
        }
    }

    @Test
    @Order(5)
    void aLayerWithAWrongDiffIdIsRefusedAndLeavesNothingBehind() throws Exception {
        Path src = Files.createDirectories(stack.dir.resolve("forged-src/data"));
        Files.writeString(src.resolve("forged"), "not what the config says\n");
        TestImage forged = new TestImage(Files.createDirectories(stack.dir.resolve("forged-build")))
                .layer(stack.dir.resolve("unpack-src/l1")).layer(src.getParent()).wrongDiffId(1);
        String ref = forged.push(stack.registry, "systest/forged", "v1", List.of("true"));

        IOException e = assertThrows(IOException.class, () -> LazysnapCli.rpull(stack, ref));

        assertTrue(e.getMessage().contains("diffID"), e.getMessage());
        assertTrue(stack.lazysnap.logged("the image config says sha256:" + "0".repeat(64)), stack.logs());
        String forgedChain = forged.chainId();
        assertTrue(stack.ctr("snapshots", "--snapshotter", "lazysnap", "ls").lines()
                .noneMatch(l -> l.contains(forgedChain)), "no snapshot for the forged layer");
        try (var left = Files.list(new Root(stack.lazysnap.root).unpack())) {
            assertEquals(List.of(), left.toList(), "the unpack directory is empty again");
        }
    }

    @Test
    @Order(6)
    void anEstargzLayerTheContainerReadsBeforeItStartsIsPulledWholeNotLazily() throws Exception {
        Path src = Files.createDirectories(stack.dir.resolve("hot-src/data"));
        Processes.run(Duration.ofMinutes(1), "sh", "-ec", "head -c 24M /dev/urandom > " + src.resolve("hot"));
        Files.writeString(src.resolve("cold.txt"), "not in the prefetch list\n");
        String plain = new TestImage(Files.createDirectories(stack.dir.resolve("hot-build")))
                .layer(stack.dir.resolve("unpack-src/l1")).layer(src.getParent())
                .push(stack.registry, "systest/hot", "plain", List.of("sh", "-c", "wc -c < /data/hot"));
        String ref = stack.registry + "/systest/hot:esgz";
        // The busybox layer has no prefetch list; the data layer's is nearly all of it, and it is larger than one
        // round of parallel range requests (16 MiB by default).
        LazysnapCli.convert("--prioritize", "/data/hot", plain, ref);

        String out = LazysnapCli.rpull(stack, ref);

        assertEquals(1, out.lines().filter(l -> l.contains(" remote")).count(), "busybox mounted lazily:\n" + out);
        assertEquals(1, out.lines().filter(l -> l.contains(" unpacked")).count(), "data pulled whole:\n" + out);
        assertTrue(stack.lazysnap.logged("pulling it whole instead of lazily"), stack.logs());
        assertEquals("25165824\n", stack.ctr("run", "--rm", "--snapshotter", "lazysnap", ref, "hot-1"), stack.logs());
        String chain = chainId(ref);
        stack.ctr("image", "pull", "--plain-http", "--snapshotter", "overlayfs", ref);
        Path ours = layerDirs("lazysnap", chain).get(0);
        Path containerds = layerDirs("overlayfs", chain).get(0);
        assertEquals(Trees.describe(containerds), Trees.describe(ours), ours + " vs containerd's " + containerds);
    }

    /** The chain ID of {@code ref}'s layers, from its config's diffIDs. */
    private static String chainId(String ref) throws Exception {
        try (RegistryClient registry = RegistryClient.builder().plainHttp(stack.registry).build()) {
            Reference image = Reference.parse(ref);
            JsonNode config = new ObjectMapper().readTree(registry.blob(image, registry.manifest(image).config()));
            String chain = null;
            for (JsonNode diffId : config.at("/rootfs/diff_ids")) {
                chain = chain == null ? diffId.asText()
                        : Digests.sha256((chain + " " + diffId.asText()).getBytes(StandardCharsets.UTF_8));
            }
            return chain;
        }
    }

    /**
     * The image's layer directories in {@code snapshotter}, top first, from the mounts of a view of its top (ctr
     * holds no lease on the view: the garbage collector removes it, so its mounts are read as it is made).
     */
    private static List<Path> layerDirs(String snapshotter, String chainId) throws Exception {
        String mounts = stack.ctr("snapshots", "--snapshotter", snapshotter, "view", "--mounts",
                "compare-" + snapshotter + "-" + chainId.substring(7, 19), chainId);
        Matcher m = LOWERDIR.matcher(mounts);
        assertTrue(m.find(), mounts);
        List<Path> dirs = new ArrayList<>();
        for (String dir : m.group(1).split(":")) {
            dirs.add(Path.of(dir));
        }
        return dirs;
    }
}
