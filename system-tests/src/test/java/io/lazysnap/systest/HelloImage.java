package io.lazysnap.systest;

import io.lazysnap.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A three-layer plain image for the client-command tests: busybox, then a file per layer; running it prints
 * {@link #OUTPUT}, which proves all three layers are stacked.
 */
final class HelloImage {

    static final String OUTPUT = "hello from layer 2\nlayer 3 was here\n";

    private HelloImage() {
    }

    /** Builds the image under the stack's directory, pushes it as {@code repository:v1}; returns the reference. */
    static String push(Stack stack, String repository) throws Exception {
        Path src = Files.createDirectories(stack.dir.resolve(repository.replace('/', '-') + "-src"));
        Path bin = Files.createDirectories(src.resolve("l1/bin"));
        Files.copy(Path.of(Processes.run(Duration.ofSeconds(5), "sh", "-c", "command -v busybox").strip()),
                bin.resolve("busybox"));
        for (String applet : List.of("sh", "cat")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        Files.writeString(Files.createDirectories(src.resolve("l2/etc")).resolve("hello.txt"), "hello from layer 2\n");
        Files.writeString(Files.createDirectories(src.resolve("l3/data")).resolve("msg"), "layer 3 was here\n");
        return new TestImage(stack.dir).layer(src.resolve("l1")).layer(src.resolve("l2")).layer(src.resolve("l3"))
                .push(stack.registry, repository, "v1", List.of("sh", "-c", "cat /etc/hello.txt /data/msg"));
    }
}
