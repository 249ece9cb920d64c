package io.lazysnap.daemon.remote;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lazysnap.daemon.snapshot.FileTree;
import io.lazysnap.daemon.unpack.ChainIds;
import io.lazysnap.daemon.unpack.FetchPool;
import io.lazysnap.daemon.unpack.ImageConfig;
import io.lazysnap.daemon.unpack.LayerUnpack;
import io.lazysnap.daemon.unpack.ParallelBlobStream;
import io.lazysnap.estargz.ConversionResult;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.estargz.LayerConverter;
import io.lazysnap.estargz.MemoryTar;
import io.lazysnap.estargz.TocEntry;
import io.lazysnap.registry.BlobDigest;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.MediaTypes;
import io.lazysnap.registry.Platform;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.registry.RegistryListener;
import io.lazysnap.registry.ResolvedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

/**
 * Pulls a small image, once at start-up, from a registry this process serves on 127.0.0.1, through the code the first
 * real pull runs: the registry client's requests and interceptors, index, manifest and config parsing, an eStargz
 * layer's footer, TOC and chunks read by range requests, the state an opened layer records, and a gzip layer downloaded
 * in parallel ranges and unpacked. The first run of each of those paths in a freshly started JVM loads, links and
 * initialises its classes and binds its call sites; without this, the first pod's pull on a node paid for that (a fresh
 * daemon's first {@code rpull} at 1 Gbit/s: the manifest 46 ms after the request instead of 18, the whole pull phase
 * about 60 ms longer). Every byte read is checked, so a failure here also says that this node's registry path is
 * broken.
 */
public final class RegistryWarmUp {

    private static final String REPOSITORY = "lazysnap/warm-up";
    private static final String LARGE = "warm-up/large";
    /** A few entries: the first run of the code is what costs (the FUSE self-test runs the TOC's per-entry code). */
    private static final int FILES = 16;
    private static final int CHUNK = 64 << 10;
    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private RegistryWarmUp() {
    }

    /**
     * Runs the pull.
     *
     * @param scratch a directory of its own, where the gzip layer is spooled and unpacked (deleted afterwards); on
     *                the file system real layers unpack on
     * @param unpack  whether to download and unpack the gzip layer (this node's unpack self-test passed)
     * @return what failed, if anything
     */
    public static Optional<String> run(Platform platform, Path scratch, boolean unpack) {
        try {
            pull(platform, scratch, unpack);
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.of(e.toString());
        }
    }

    private static void pull(Platform platform, Path scratch, boolean unpack) throws IOException {
        Map<String, byte[]> files = files();
        byte[] tar = tar(files);
        ByteArrayOutputStream estargz = new ByteArrayOutputStream();
        ConversionResult converted = LayerConverter.builder().build().convert(new ByteArrayInputStream(tar), estargz);
        ByteArrayOutputStream gzip = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gzip)) {
            out.write(tar);
        }
        Map<String, LoopbackRegistry.Content> paths = new HashMap<>();
        Descriptor lazy = blob(paths, converted.mediaType(), estargz.toByteArray())
                .withAnnotations(converted.annotations());
        Descriptor plain = blob(paths, MediaTypes.OCI_LAYER_GZIP, gzip.toByteArray());
        Descriptor config = blob(paths, MediaTypes.OCI_CONFIG, json(Map.of("architecture", platform.architecture(),
                "os", platform.os(), "rootfs", Map.of("type", "layers", "diff_ids", List.of(converted.diffId(),
                        BlobDigest.sha256(tar))))));
        Manifest manifest = Manifest.build(config, List.of(lazy, plain), Map.of());
        paths.put(manifestPath(manifest.descriptor().digest()),
                new LoopbackRegistry.Content(MediaTypes.OCI_MANIFEST, manifest.bytes()));
        paths.put(manifestPath("latest"), new LoopbackRegistry.Content(MediaTypes.OCI_INDEX, json(Map.of(
                "schemaVersion", 2, "mediaType", MediaTypes.OCI_INDEX, "manifests", List.of(Map.of(
                        "mediaType", MediaTypes.OCI_MANIFEST, "digest", manifest.descriptor().digest(),
                        "size", manifest.bytes().length, "platform", Map.of("os", platform.os(),
                                "architecture", platform.architecture(), "variant", platform.variant())))))));
        try (LoopbackRegistry registry = new LoopbackRegistry(paths);
             RegistryClient client = RegistryClient.builder().plainHttp(registry.host())
                     .retries(1, Duration.ZERO, Duration.ZERO).requestTimeout(TIMEOUT).rangeTimeout(TIMEOUT)
                     .totalTimeout(TIMEOUT).listener(new RegistryListener() { })
                     .build()) {
            Reference reference = Reference.parse(registry.host() + "/" + REPOSITORY + ":latest");
            ResolvedImage image = client.resolve(reference, platform);
            List<String> diffIds = ImageConfig.diffIds(client.blob(reference, image.manifest().config()));
            ChainIds.of(diffIds);
            Descriptor lazyLayer = image.manifest().layers().get(0);
            EstargzLayer layer = EstargzLayer.open(client.blobSource(reference, lazyLayer), lazyLayer.annotations());
            // What opening a layer records for a restart; serialising it the first time introspects its type.
            LayerState.of(new ResolvedLayer(reference, lazyLayer)).json();
            TocEntry large = layer.toc().entry(LARGE).orElseThrow(() -> new IOException("the warm-up layer's TOC"
                    + " has no " + LARGE));
            byte[] read = new byte[files.get(LARGE).length];
            layer.read(large, 0, read, 0, read.length);
            check(read, files, "read by range requests");
            if (unpack) {
                unpack(client, reference, image.manifest().layers().get(1), diffIds.get(1), scratch, files);
            }
        }
    }

    private static void unpack(RegistryClient client, Reference reference, Descriptor layer, String diffId,
                               Path scratch, Map<String, byte[]> files) throws IOException {
        FileTree.delete(scratch); // the warm-up's own: whatever is there, a stopped start-up left
        Path dir = Files.createDirectories(scratch);
        try (FetchPool pool = new FetchPool(4);
             ParallelBlobStream blob = new ParallelBlobStream("warm-up layer", layer.size(), layer.digest(),
                     RegistryLayerUnpacker.blob(client, reference, layer), pool, CHUNK, 4, dir.resolve("blob"),
                     bytes -> { })) {
            Path fs = Files.createDirectory(dir.resolve("fs"));
            LayerUnpack.unpack(blob, LayerUnpack.Compression.GZIP, diffId, fs);
            check(Files.readAllBytes(fs.resolve(LARGE)), files, "unpacked");
        } finally {
            FileTree.delete(dir);
        }
    }

    private static void check(byte[] actual, Map<String, byte[]> files, String how) throws IOException {
        if (!Arrays.equals(actual, files.get(LARGE))) {
            throw new IOException("the warm-up layer's " + LARGE + " " + how + " differs from what was served");
        }
    }

    private static Descriptor blob(Map<String, LoopbackRegistry.Content> paths, String mediaType, byte[] bytes) {
        Descriptor descriptor = Descriptor.of(mediaType, bytes);
        paths.put("/v2/" + REPOSITORY + "/blobs/" + descriptor.digest(),
                new LoopbackRegistry.Content(mediaType, bytes));
        return descriptor;
    }

    private static String manifestPath(String reference) {
        return "/v2/" + REPOSITORY + "/manifests/" + reference;
    }

    private static byte[] json(Object value) throws JsonProcessingException {
        return new ObjectMapper().writeValueAsBytes(value);
    }

    /** Small files, and one of several chunks in both layers (random, so that gzip keeps it large). */
    private static Map<String, byte[]> files() {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (int i = 0; i < FILES; i++) {
            files.put("warm-up/file-" + i, BlobDigest.sha256(new byte[] {(byte) i}).getBytes());
        }
        byte[] large = new byte[2 * CHUNK + 1000];
        new Random(1).nextBytes(large);
        files.put(LARGE, large);
        return files;
    }

    private static byte[] tar(Map<String, byte[]> files) {
        MemoryTar tar = new MemoryTar().directory("warm-up/");
        files.forEach(tar::file);
        return tar.finish();
    }
}
