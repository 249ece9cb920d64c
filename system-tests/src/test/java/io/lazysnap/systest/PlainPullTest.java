package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * containerd pulls and runs a plain (non-lazy) multi-layer image with lazysnap as its snapshotter, and keeps
 * running it after lazysnap restarts, gracefully or killed.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PlainPullTest {

    private static final String EXPECTED = """
            hello from layer 2
            layer 3 was here
            hello.txt
            """;

    private static Stack stack;
    private static String image;

    @BeforeAll
    static void setUp() throws Exception {
        stack = Stack.start();
        Path src = Files.createDirectories(stack.dir.resolve("image-src"));
        TestImage.busyboxRootfs(src.resolve("l1"));
        Path l2 = Files.createDirectories(src.resolve("l2/etc"));
        Files.writeString(l2.resolve("hello.txt"), "hello from layer 2\n");
        Files.writeString(l2.resolve("remove-me"), "must be hidden by layer 3\n");
        Path l3 = Files.createDirectories(src.resolve("l3/etc"));
        Files.createFile(l3.resolve(".wh.remove-me"));
        Files.createDirectories(src.resolve("l3/data"));
        Files.writeString(src.resolve("l3/data/msg"), "layer 3 was here\n");

        image = new TestImage(stack.dir).layer(src.resolve("l1")).layer(src.resolve("l2")).layer(src.resolve("l3"))
                .push(stack.registry, "systest/hello", "v1", List.of("sh", "-c", "cat /etc/hello.txt /data/msg; ls /etc"));
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    @Order(1)
    void pullsAndRunsThroughLazysnap() throws Exception {
        stack.ctr("image", "pull", "--plain-http", "--snapshotter", "lazysnap", image);
        assertEquals(EXPECTED, run("first"), stack.logs());
        String snapshots = stack.ctr("snapshots", "--snapshotter", "lazysnap", "ls");
        assertEquals(4, snapshots.strip().split("\n").length, "header + 3 committed layers:\n" + snapshots);
        assertTrue(snapshots.contains("Committed"), snapshots);
    }

    @Test
    @Order(2)
    void runsAgainAfterAGracefulRestart() throws Exception {
        assertEquals(0, stack.lazysnap.stop(), "SIGTERM should stop lazysnap cleanly");
        assertTrue(Files.notExists(stack.lazysnap.socket), "the socket is removed on shutdown");
        stack.lazysnap.start();
        assertEquals(EXPECTED, run("after-restart"), stack.logs());
    }

    @Test
    @Order(3)
    void runsAgainAfterKill9() throws Exception {
        stack.lazysnap.kill9();
        stack.lazysnap.start();
        assertEquals(EXPECTED, run("after-kill"), stack.logs());
    }

    private String run(String id) throws Exception {
        return retryWhileUnavailable(() -> stack.ctr("run", "--rm", "--snapshotter", "lazysnap", image, id));
    }

    /** A ctr call that returns its output. */
    interface CtrCall {
        String run() throws Exception;
    }

    /**
     * After lazysnap restarts, containerd's gRPC client reconnects on its own backoff schedule (1 s growing); calls
     * made before that fail as unavailable, so retry those, and only those, for a while.
     */
    static String retryWhileUnavailable(CtrCall call) throws Exception {
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        while (true) {
            try {
                return call.run();
            } catch (java.io.IOException e) {
                if (!e.getMessage().contains("unavailable") || System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(500);
            }
        }
    }
}
