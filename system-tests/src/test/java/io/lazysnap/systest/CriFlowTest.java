package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.CriClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kubernetes' path: containerd's CRI plugin, configured with {@code snapshotter = "lazysnap"}, pulls the images
 * (pause included) through lazysnap and runs a host-network pod, the calls a kubelet makes.
 */
class CriFlowTest {

    private static Stack stack;
    private static String app;

    @BeforeAll
    static void setUp() throws Exception {
        stack = Stack.start();
        Path src = Files.createDirectories(stack.dir.resolve("cri-src"));
        new TestImage(Files.createDirectories(stack.dir.resolve("pause-build")))
                .layer(TestImage.busyboxRootfs(src.resolve("pause")))
                .push(stack.registry, "systest/pause", "1", List.of("sleep", "3600"));
        Path data = Files.createDirectories(src.resolve("data/srv"));
        Files.writeString(data.resolve("greeting"), "hello from a pod\n");
        app = new TestImage(Files.createDirectories(stack.dir.resolve("app-build")))
                .layer(TestImage.busyboxRootfs(src.resolve("app"))).layer(src.resolve("data"))
                .push(stack.registry, "systest/app", "1", List.of("cat", "/srv/greeting"));
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void kubeletStylePodRunsOnLazysnapSnapshots() throws Exception {
        try (CriClient cri = new CriClient(stack.containerdSocket())) {
            String output = cri.runPod(app, stack.dir.resolve("pods/1"), List.of("cat", "/srv/greeting"));
            assertEquals("hello from a pod\n", output, stack.logs());
        }
        String snapshots = stack.ctrIn("k8s.io", "snapshots", "--snapshotter", "lazysnap", "ls");
        assertTrue(snapshots.strip().split("\n").length >= 3, "pause and app layers are lazysnap snapshots:\n"
                + snapshots);
    }
}
