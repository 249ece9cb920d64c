package io.lazysnap.systest;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.lazysnap.testkit.Digests;
import io.lazysnap.testkit.ImagePusher;
import io.lazysnap.testkit.Processes;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;


/**
 * Builds a small OCI image from directories (one tar.gz layer each, made by tar(1)) and pushes it to a registry
 * with the distribution API's monolithic upload.
 */
final class TestImage {

    private record Blob(String digest, long size, String diffId, Path file) {
    }

    private final Path work;
    private final List<Blob> layers = new ArrayList<>();

    TestImage(Path work) {
        this.work = work;
    }

    /** Fills {@code dir} with a minimal root filesystem: a static busybox and a few applet links in /bin. */
    static Path busyboxRootfs(Path dir) throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        String busybox = Processes.run(Duration.ofSeconds(5), "sh", "-c", "command -v busybox").strip();
        Files.copy(Path.of(busybox), bin.resolve("busybox"));
        for (String applet : List.of("sh", "cat", "ls", "echo", "sleep", "head", "wc")) {
            Files.createSymbolicLink(bin.resolve(applet), Path.of("busybox"));
        }
        return dir;
    }

    /** Adds the content of {@code dir} as the next layer (OCI whiteouts are ordinary {@code .wh.} files). */
    TestImage layer(Path dir) throws Exception {
        Path tar = work.resolve("layer-" + layers.size() + ".tar");
        Processes.run(Duration.ofMinutes(5), "tar", "--sort=name", "--owner=0", "--group=0", "--numeric-owner",
                "--mtime=@0", "-C", dir.toString(), "-cf", tar.toString(), ".");
        return tarLayer(tar);
    }

    /** Adds a tar (streamed, any size) as the next layer, gzip-compressed. */
    TestImage tarLayer(Path tar) throws Exception {
        Path gz = work.resolve("layer-" + layers.size() + ".tar.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz), 1 << 16) {
            {
                def.setLevel(Deflater.BEST_SPEED); // test layers of up to a GiB: speed over size
            }
        }) {
            Files.copy(tar, out);
        }
        layers.add(new Blob(Digests.sha256(gz), Files.size(gz), Digests.sha256(tar), gz));
        return this;
    }

    /** Makes the config name a wrong diffID for layer {@code index}, as a corrupted or forged image would. */
    TestImage wrongDiffId(int index) {
        Blob b = layers.get(index);
        layers.set(index, new Blob(b.digest(), b.size(), "sha256:" + "0".repeat(64), b.file()));
        return this;
    }

    /** The chain ID of all layers: the snapshot containerd names the image's top layer. */
    String chainId() {
        String chain = null;
        for (Blob layer : layers) {
            chain = chain == null ? layer.diffId() : Digests.sha256((chain + " " + layer.diffId()).getBytes(UTF_8));
        }
        return chain;
    }

    /** Pushes layers, config and manifest as {@code registry/repository:tag}; returns the reference. */
    String push(String registry, String repository, String tag, List<String> cmd) throws Exception {
        List<ImagePusher.Layer> pushed = layers.stream().map(l -> new ImagePusher.Layer(l.file(), l.digest(), l.size(),
                "application/vnd.oci.image.layer.v1.tar+gzip", l.diffId(), Map.of())).toList();
        new ImagePusher(registry).push(repository, tag, pushed, List.of("PATH=/bin"), cmd);
        return registry + "/" + repository + ":" + tag;
    }
}
