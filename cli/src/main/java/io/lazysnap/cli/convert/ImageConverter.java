package io.lazysnap.cli.convert;

import io.lazysnap.estargz.LayerConverter;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Index;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.MediaTypes;
import io.lazysnap.registry.Platform;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.registry.RegistryException;
import io.lazysnap.daemon.progress.Progress;
import io.lazysnap.daemon.progress.Task;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code lazysnap convert}: reads an image from a registry, converts every layer to eStargz or zstd:chunked and
 * pushes the result as an OCI image (new diffIDs in the config, TOC-digest and uncompressed-size annotations on the
 * layers). A multi-platform index is converted platform by platform into a new index, unless one platform is
 * chosen, in which case DST is that platform's converted manifest alone.
 */
public final class ImageConverter {

    private final RegistryClient registry;
    private final Progress progress;
    private final List<String> prioritized;
    private final Set<String> prioritizedFound = new LinkedHashSet<>();
    private final LayerConversion layers;

    public ImageConverter(RegistryClient registry, LayerConverter converter, List<String> prioritized, Path tempDir,
                          Progress progress) {
        this.registry = registry;
        this.progress = progress;
        this.prioritized = List.copyOf(prioritized);
        this.layers = new LayerConversion(registry, converter, tempDir, this.prioritized, prioritizedFound);
    }

    /**
     * @param platform the one platform to convert, or empty for all of an index's platforms
     * @return the descriptor of what DST now names (a manifest or an index)
     */
    public Descriptor convert(Reference src, Reference dst, Optional<Platform> platform) throws IOException {
        if (dst.digest().isPresent()) {
            throw new IllegalArgumentException("the destination " + dst + " must name a tag, not a digest");
        }
        Descriptor result;
        if (platform.isPresent()) {
            result = push(dst, convertManifest(src, dst, registry.resolve(src, platform.get()).manifest()));
        } else {
            Optional<Index> index = indexOrEmpty(src);
            result = index.isPresent() ? convertIndex(src, dst, index.get())
                    : push(dst, convertManifest(src, dst, registry.manifest(src)));
        }
        List<String> missing = prioritized.stream().filter(p -> !prioritizedFound.contains(p)).toList();
        if (!missing.isEmpty()) {
            progress.message("warning: prioritised files not found in any layer: " + String.join(", ", missing));
        }
        return result;
    }

    private Descriptor convertIndex(Reference src, Reference dst, Index index) throws IOException {
        Map<Integer, Descriptor> converted = new LinkedHashMap<>();
        Map<String, Descriptor> bySource = new HashMap<>();
        for (int i = 0; i < index.manifests().size(); i++) {
            Descriptor entry = index.manifests().get(i);
            Optional<Platform> p = entry.platform();
            // Attestation manifests ("unknown/unknown") describe the source image, not the converted one.
            if (p.isEmpty() || p.get().os().equals("unknown") || !isImageManifest(entry.mediaType())) {
                continue;
            }
            Descriptor done = bySource.get(entry.digest());
            if (done == null) {
                progress.message("converting " + p.get() + " (" + entry.digest() + ")");
                Manifest manifest = convertManifest(src, dst, registry.manifest(src.withDigest(entry.digest())));
                done = push(Reference.parse(dst.name() + "@" + manifest.descriptor().digest()), manifest);
                bySource.put(entry.digest(), done);
            }
            converted.put(i, done);
        }
        if (converted.isEmpty()) {
            throw new IOException(src + " is an index without image manifests for any platform");
        }
        return registry.pushManifest(dst, MediaTypes.OCI_INDEX, IndexRewriter.rewrite(index.bytes(), converted));
    }

    private Manifest convertManifest(Reference src, Reference dst, Manifest manifest) throws IOException {
        byte[] config = registry.blob(src, manifest.config());
        List<String> diffIds = ConfigRewriter.diffIds(config);
        if (diffIds.size() != manifest.layers().size()) {
            throw new IOException("image config " + manifest.config().digest() + " lists " + diffIds.size()
                    + " diff_ids for " + manifest.layers().size() + " layers");
        }
        List<Task> tasks = new ArrayList<>();
        for (Descriptor layer : manifest.layers()) {
            tasks.add(progress.task(layer.digest().substring("sha256:".length(), 19), layer.size()));
        }
        List<Descriptor> newLayers = new ArrayList<>();
        List<String> newDiffIds = new ArrayList<>();
        for (int i = 0; i < manifest.layers().size(); i++) {
            try {
                LayerConversion.Converted c = layers.convert(src, dst, manifest.layers().get(i), diffIds.get(i),
                        tasks.get(i));
                newLayers.add(c.descriptor());
                newDiffIds.add(c.diffId());
            } catch (IOException | RuntimeException e) {
                tasks.get(i).status("failed");
                throw e;
            }
        }
        Descriptor newConfig = registry.pushBlob(dst, MediaTypes.OCI_CONFIG,
                ConfigRewriter.withDiffIds(config, newDiffIds));
        return Manifest.build(newConfig, newLayers, manifest.annotations());
    }

    private Descriptor push(Reference where, Manifest manifest) throws IOException {
        return registry.pushManifest(where, MediaTypes.OCI_MANIFEST, manifest.bytes());
    }

    /**
     * The index SRC names, or empty when it names a single manifest. The registry client asks for one or the other;
     * when the index request fails for any reason but absence, the manifest request decides (and reports).
     */
    private Optional<Index> indexOrEmpty(Reference src) throws IOException {
        try {
            return Optional.of(registry.index(src));
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                throw e;
            }
            return Optional.empty();
        }
    }

    private static boolean isImageManifest(String mediaType) {
        return mediaType.equals(MediaTypes.OCI_MANIFEST) || mediaType.equals(MediaTypes.DOCKER_MANIFEST);
    }
}
