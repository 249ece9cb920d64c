package io.lazysnap.bench;

import io.lazysnap.testkit.Processes;
import io.lazysnap.testkit.Digests;
import io.lazysnap.testkit.ImagePusher;
import io.lazysnap.estargz.ConversionResult;
import io.lazysnap.estargz.LayerConverter;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes sure an image exists in the registry in every {@link Variant}, building it when missing. Content is
 * deterministic, so a registry directory kept in the bench cache serves later runs without rebuilding.
 */
final class ImageBuilder {

    private static final Logger LOG = LoggerFactory.getLogger(ImageBuilder.class);
    /** Synthetic data is incompressible: the fastest level gives the same sizes and builds in a fraction. */
    private static final int SYNTHETIC_LEVEL = Deflater.BEST_SPEED;

    private static final String PAUSE = "bench/pause";

    private final Path cache;
    private final ImagePusher pusher;

    ImageBuilder(Path cache, String pushAddress) {
        this.cache = cache;
        this.pusher = new ImagePusher(pushAddress);
    }

    static String repository(ImageSpec spec) {
        return "bench/" + spec.name();
    }

    /** Pushes the CRI sandbox image if missing; returns its reference relative to the registry. */
    String ensurePause() throws Exception {
        if (!pusher.exists(PAUSE, Variant.GZIP.tag())) {
            Path work = Files.createTempDirectory(cache, "build-");
            try {
                ImageContent content = SyntheticContent.pause(work.resolve("src"));
                Path tar = tar(content.layers().get(0), work.resolve("layer.tar"));
                pusher.push(PAUSE, Variant.GZIP.tag(), List.of(gzip(tar, work.resolve("layer.tar.gz"),
                        Deflater.DEFAULT_COMPRESSION, Digests.sha256(tar))), content.env(), content.cmd());
            } finally {
                delete(work);
            }
        }
        return PAUSE + ":" + Variant.GZIP.tag();
    }

    void ensure(ImageSpec spec) throws Exception {
        String repository = repository(spec);
        boolean missing = false;
        for (Variant v : Variant.values()) {
            missing |= !pusher.exists(repository, v.tag());
        }
        if (!missing) {
            return;
        }
        long started = System.nanoTime();
        Path work = Files.createTempDirectory(cache, "build-");
        try {
            ImageContent content = spec.isPython() ? PythonContent.write(cache, work.resolve("src"))
                    : SyntheticContent.write(spec, work.resolve("src"));
            build(repository, content, spec.isPython() ? Deflater.DEFAULT_COMPRESSION : SYNTHETIC_LEVEL, work);
            LOG.info("built and pushed {} in {} s", repository, (System.nanoTime() - started) / 1_000_000_000);
        } finally {
            delete(work);
        }
    }

    /** Bytes a full pull of {@code spec} in {@code variant} downloads. */
    long layerBytes(ImageSpec spec, Variant variant) throws Exception {
        return pusher.layerBytes(repository(spec), variant.tag());
    }

    private void build(String repository, ImageContent content, int level, Path work) throws Exception {
        Map<Variant, List<ImagePusher.Layer>> layers = new EnumMap<>(Variant.class);
        for (Variant v : Variant.values()) {
            layers.put(v, new ArrayList<>());
        }
        for (int i = 0; i < content.layers().size(); i++) {
            Path layerDir = content.layers().get(i);
            Path tar = tar(layerDir, work.resolve("layer-" + i + ".tar"));
            layers.get(Variant.GZIP).add(gzip(tar, work.resolve("layer-" + i + ".tar.gz"), level, Digests.sha256(tar)));
            // Only this layer's part of the workload: the converter warns about every path it lacks.
            List<String> inLayer = content.workload().stream()
                    .map(p -> p.substring(1))
                    .filter(p -> Files.exists(layerDir.resolve(p), LinkOption.NOFOLLOW_LINKS)).toList();
            layers.get(Variant.ESTARGZ).add(estargz(tar, work.resolve("layer-" + i + ".esgz"), level, inLayer));
            layers.get(Variant.ESTARGZ_NO_LANDMARKS)
                    .add(estargz(tar, work.resolve("layer-" + i + ".nolm.esgz"), level, List.of()));
            Files.delete(tar);
        }
        for (Variant v : Variant.values()) {
            pusher.push(repository, v.tag(), layers.get(v), content.env(), content.cmd());
        }
    }

    /** A reproducible tar: sorted names, no owners' names, epoch mtimes. */
    private static Path tar(Path dir, Path tar) throws Exception {
        Processes.run(Duration.ofMinutes(10), List.of("tar", "--sort=name", "--owner=0", "--group=0",
                "--numeric-owner", "--mtime=@0", "-C", dir.toString(), "-cf", tar.toString(), "."));
        return tar;
    }

    private static void delete(Path dir) throws Exception {
        Processes.run(Duration.ofMinutes(5), List.of("rm", "-rf", "--one-file-system", dir.toString()));
    }

    private static ImagePusher.Layer gzip(Path tar, Path out, int level, String diffId) throws Exception {
        try (InputStream in = Files.newInputStream(tar);
             OutputStream gz = new GZIPOutputStream(Files.newOutputStream(out), 1 << 16) {
                 {
                     def.setLevel(level);
                 }
             }) {
            in.transferTo(gz);
        }
        return new ImagePusher.Layer(out, Digests.sha256(out), Files.size(out),
                "application/vnd.oci.image.layer.v1.tar+gzip", diffId, Map.of());
    }

    private static ImagePusher.Layer estargz(Path tar, Path out, int level, List<String> prioritized) throws Exception {
        LayerConverter converter = LayerConverter.builder().compressionLevel(level == Deflater.DEFAULT_COMPRESSION ? 6 : level)
                .prioritizedFiles(prioritized).tempDirectory(out.getParent()).build();
        ConversionResult r;
        try (InputStream in = Files.newInputStream(tar); OutputStream o = Files.newOutputStream(out)) {
            r = converter.convert(in, o);
        }
        return new ImagePusher.Layer(out, r.blobDigest(), r.blobSize(), r.mediaType(), r.diffId(), r.annotations());
    }
}
