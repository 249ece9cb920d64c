package io.lazysnap.bench;

import io.lazysnap.testkit.Processes;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Writes a synthetic image reproducibly: layer 0 is a static busybox with {@code /bench/start}; the data layers
 * hold {@code /data/NN/fNNNNN} files of seeded random (incompressible) bytes, at most 256 MiB per layer. The start
 * script reads a seeded random subset of the data files (listed in {@code /bench/reads}), then prints one line.
 */
final class SyntheticContent {

    static final String FIRST_LINE = "started";
    private static final int FILES_PER_LAYER = 1024;
    private static final long SEED = 20240501L;

    private SyntheticContent() {
    }

    /** The CRI sandbox image: busybox sleeping. */
    static ImageContent pause(Path dir) throws IOException, InterruptedException {
        Path base = busybox(Files.createDirectories(dir.resolve("layer-0")));
        return new ImageContent(List.of(base), List.of("/bin/sleep", "86400"), List.of("PATH=/bin"), List.of());
    }

    static ImageContent write(ImageSpec spec, Path dir) throws IOException, InterruptedException {
        List<Path> layers = new ArrayList<>();
        Path base = busybox(Files.createDirectories(dir.resolve("layer-0")));
        layers.add(base);
        List<String> reads = readSet(spec).stream().map(SyntheticContent::dataPath).toList();
        Path benchDir = Files.createDirectories(base.resolve("bench"));
        Files.writeString(benchDir.resolve("reads"), String.join("\n", reads) + "\n");
        Files.writeString(benchDir.resolve("start"),
                "xargs cat < /bench/reads > /dev/null && echo " + FIRST_LINE + "\n");

        byte[] content = new byte[ImageSpec.FILE_BYTES];
        for (int i = 0; i < spec.files(); i++) {
            if (i % FILES_PER_LAYER == 0) {
                layers.add(Files.createDirectories(dir.resolve("layer-" + layers.size())));
            }
            Path file = layers.get(layers.size() - 1).resolve(dataPath(i).substring(1));
            Files.createDirectories(file.getParent());
            new Random(SEED + i).nextBytes(content);
            try (OutputStream out = Files.newOutputStream(file)) {
                out.write(content);
            }
        }
        List<String> workload = new ArrayList<>(List.of("/bin/busybox", "/bench/start", "/bench/reads"));
        workload.addAll(reads);
        return new ImageContent(layers, List.of("/bin/sh", "/bench/start"), List.of("PATH=/bin"), workload);
    }

    private static Path busybox(Path root) throws IOException, InterruptedException {
        Path bin = Files.createDirectories(root.resolve("bin"));
        Files.copy(Path.of(Processes.run("sh", "-c", "command -v busybox").strip()), bin.resolve("busybox"));
        for (String applet : List.of("sh", "cat", "xargs", "echo", "sleep")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        return root;
    }

    private static List<Integer> readSet(ImageSpec spec) {
        List<Integer> all = new ArrayList<>(IntStream.range(0, spec.files()).boxed().toList());
        Collections.shuffle(all, new Random(SEED));
        return all.subList(0, spec.filesRead());
    }

    private static String dataPath(int i) {
        return "/data/%02d/f%05d".formatted(i / 64, i);
    }
}
