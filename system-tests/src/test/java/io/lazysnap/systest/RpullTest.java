package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Processes;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
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
 * {@code lazysnap rpull} of a plain (non-eStargz) image through containerd's API, with the daemon's own unpack
 * off: every layer falls back to a download applied by containerd's diff service, the image is recorded and runs with {@code ctr run}, the content
 * and snapshots survive containerd's garbage collector, and a second rpull changes nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RpullTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Stack stack;
    private static String image;

    @BeforeAll
    static void setUp() throws Exception {
        // The path containerd's own pull takes: lazysnap's parallel unpack (ParallelUnpackTest) is off.
        stack = Stack.start((dir, registry) -> "[unpack]\nenabled = false\n");
        image = HelloImage.push(stack, "systest/rpull");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void plainImageFallsBackAndRuns() throws Exception {
        String out = LazysnapCli.rpull(stack, image);
        assertEquals(3, count(out, " applied"), "every layer downloaded and applied:\n" + out);
        assertTrue(out.contains("pulled " + image), out);
        assertTrue(stack.ctr("image", "ls", "-q").lines().anyMatch(image::equals), stack.ctr("image", "ls"));
        assertEquals(HelloImage.OUTPUT, stack.ctr("run", "--rm", "--snapshotter", "lazysnap", image, "rpull-1"),
                stack.logs());
    }

    @Test
    @Order(2)
    void snapshotsCarryTheImageLabels() throws Exception {
        String manifestDigest = stack.ctr("image", "ls").lines().filter(l -> l.startsWith(image + " "))
                .map(l -> l.split("\\s+")[2]).findFirst().orElseThrow();
        JsonNode bottom = null;
        for (String line : stack.ctr("snapshots", "--snapshotter", "lazysnap", "ls").lines().skip(1).toList()) {
            JsonNode info = JSON.readTree(stack.ctr("snapshots", "--snapshotter", "lazysnap", "info",
                    line.split("\\s+")[0]));
            if (info.path("Labels").path("containerd.io/snapshot/cri.layer-digest").isTextual()) {
                assertEquals(image, info.path("Labels").path("containerd.io/snapshot/remote/stargz.reference").asText());
                assertEquals(manifestDigest, info.path("Labels").path("containerd.io/snapshot/cri.manifest-digest")
                        .asText());
                assertEquals(info.path("Name").asText(), info.path("Labels").path("containerd.io/snapshot.ref")
                        .asText());
                if (info.path("Parent").asText().isEmpty()) {
                    bottom = info;
                }
            }
        }
        assertTrue(bottom != null, "the bottom layer snapshot carries the labels");
        assertEquals(3, bottom.path("Labels").path("containerd.io/snapshot/cri.image-layers").asText().split(",").length,
                "the bottom layer names itself and the two above it");
    }

    @Test
    @Order(3)
    void survivesGarbageCollection() throws Exception {
        // Deleting a lease with --sync runs containerd's collector now: only labelled references keep content.
        stack.ctr("leases", "create", "--id", "systest-gc");
        stack.ctr("leases", "delete", "--sync", "systest-gc");
        String content = stack.ctr("content", "ls");
        assertTrue(content.contains("containerd.io/gc.ref.content.config="), content);
        assertTrue(content.contains("containerd.io/gc.ref.snapshot.lazysnap="), content);
        assertEquals(4, stack.ctr("snapshots", "--snapshotter", "lazysnap", "ls").strip().split("\n").length);
        assertEquals(HelloImage.OUTPUT, stack.ctr("run", "--rm", "--snapshotter", "lazysnap", image, "rpull-2"),
                stack.logs());
    }

    @Test
    @Order(4)
    void secondRpullIsIdempotent() throws Exception {
        String before = stack.ctr("snapshots", "--snapshotter", "lazysnap", "ls");
        String out = LazysnapCli.rpull(stack, image);
        assertEquals(3, count(out, " present"), out);
        assertEquals(before, stack.ctr("snapshots", "--snapshotter", "lazysnap", "ls"));
        assertEquals(1, stack.ctr("image", "ls", "-q").lines().filter(image::equals).count());
        assertEquals(HelloImage.OUTPUT, stack.ctr("run", "--rm", "--snapshotter", "lazysnap", image, "rpull-3"),
                stack.logs());
    }

    @Test
    @Order(7)
    void aLayerOfSeveralWriteMessagesIsStoredWhole() throws Exception {
        // 2.5 MiB that gzip cannot shrink: the blob reaches containerd in three messages, the last one committing.
        byte[] bytes = new byte[5 << 19];
        new Random(7).nextBytes(bytes);
        Path src = Files.createDirectories(stack.dir.resolve("rpull-large-src"));
        Files.write(Files.createDirectories(src.resolve("l2/data")).resolve("blob"), bytes);
        String large = new TestImage(stack.dir).layer(TestImage.busyboxRootfs(src.resolve("l1")))
                .layer(src.resolve("l2")).push(stack.registry, "systest/rpull-large", "v1",
                        List.of("wc", "-c", "/data/blob"));
        String out = LazysnapCli.rpull(stack, large);
        assertEquals(2, count(out, " applied"), out);
        assertEquals(bytes.length + " /data/blob", stack.ctr("run", "--rm", "--snapshotter", "lazysnap", large,
                "rpull-large").strip(), stack.logs());
        // The manifest was committed with the labels that keep its children, in the message carrying its bytes.
        String manifestDigest = stack.ctr("image", "ls").lines().filter(l -> l.startsWith(large + " "))
                .map(l -> l.split("\\s+")[2]).findFirst().orElseThrow();
        String content = stack.ctr("content", "ls");
        assertTrue(content.lines().anyMatch(l -> l.split("\\s+")[0].equals(manifestDigest)
                && l.contains("containerd.io/gc.ref.content.l.1=")), content);
        // Layers say where they came from, as containerd's own pull labels them.
        assertTrue(content.lines().filter(l -> l.contains("containerd.io/uncompressed="))
                .allMatch(l -> l.contains("containerd.io/distribution.source.")), content);
        stack.ctr("image", "rm", "--sync", large);
    }

    @Test
    @Order(5)
    void setUpMistakesAreNamed() {
        IOException noSnapshotter = assertThrows(IOException.class,
                () -> LazysnapCli.rpull(stack, "--snapshotter", "nosuch", image));
        assertTrue(noSnapshotter.getMessage().contains("containerd has no snapshotter named 'nosuch'"),
                noSnapshotter.getMessage());
        IOException noSocket = assertThrows(IOException.class, () -> Processes.run(Duration.ofMinutes(1),
                "bin/lazysnap", "rpull", "--daemon", stack.lazysnap.socket.toString(), "--address",
                stack.dir.resolve("missing.sock").toString(), "--plain-http", image));
        assertTrue(noSocket.getMessage().contains("does not exist: is containerd running?"), noSocket.getMessage());
        IOException noDaemon = assertThrows(IOException.class, () -> Processes.run(Duration.ofMinutes(1),
                "bin/lazysnap", "rpull", "--daemon", stack.dir.resolve("missing/lazysnap.sock").toString(),
                "--address", stack.containerdSocket().toString(), "--plain-http", image));
        assertTrue(noDaemon.getMessage().contains("no lazysnap daemon takes pulls at"), noDaemon.getMessage());
        IOException noRegistry = assertThrows(IOException.class,
                () -> LazysnapCli.rpull(stack, "127.0.0.1:1/systest/rpull:v1"));
        assertTrue(noRegistry.getMessage().contains("127.0.0.1:1"), noRegistry.getMessage());
    }

    @Test
    @Order(6)
    void theJavaClientAndTheLaunchersRelayAnswerAlike() throws Exception {
        Map<String, String> java = Map.of("LAZYSNAP_RPULL_JVM", "1");
        assertEquals(LazysnapCli.rpull(stack, image), LazysnapCli.rpull(java, stack, image));
        IOException relayed = assertThrows(IOException.class,
                () -> LazysnapCli.rpull(stack, "--snapshotter", "nosuch", image));
        IOException inJava = assertThrows(IOException.class,
                () -> LazysnapCli.rpull(java, stack, "--snapshotter", "nosuch", image));
        assertEquals(stderr(inJava), stderr(relayed));
        String help = Processes.run(Duration.ofMinutes(1), "bin/lazysnap", "rpull", "--help");
        assertTrue(help.contains("--hosts-dir"), "options the relay does not take go to the Java client: " + help);
    }

    @Test
    void theRelayWithoutModulesStillPassesStrictAndWarnings() throws Exception {
        // The relay loads no module, for its start-up time; compiled with both, any warning fails the check.
        Processes.run(Duration.ofMinutes(1), "perl", "-c", "-Mstrict", "-Mwarnings=FATAL,all", "packaging/rpull.pl");
    }

    private static String stderr(IOException e) {
        return e.getMessage().substring(e.getMessage().indexOf("stderr"));
    }

    private static long count(String text, String word) {
        return Arrays.stream(text.split("\n")).filter(l -> l.contains(word + " ")).count();
    }
}
