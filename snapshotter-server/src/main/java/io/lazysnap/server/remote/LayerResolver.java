package io.lazysnap.server.remote;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Platform;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Finds a layer's descriptor (size, media type, annotations such as the TOC digest) in the manifest of the image
 * its labels name. Manifests are cached briefly: containerd prepares an image's layers one after another.
 */
final class LayerResolver {

    private final RegistryClient registry;
    private final Platform platform;
    private final Cache<String, Manifest> manifests = Caffeine.newBuilder()
            .maximumSize(256).expireAfterWrite(Duration.ofMinutes(10)).build();

    LayerResolver(RegistryClient registry, Platform platform) {
        this.registry = registry;
        this.platform = platform;
    }

    ResolvedLayer resolve(LayerLabels labels, String layerDigest) throws IOException {
        Reference image = Reference.parse(labels.imageRef());
        Reference pinned = labels.manifestDigest().map(image::withDigest).orElse(image);
        Manifest manifest;
        try {
            manifest = manifests.get(pinned.toString(), key -> fetch(pinned, labels.manifestDigest().isPresent()));
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        Descriptor layer = manifest.layers().stream().filter(d -> d.digest().equals(layerDigest)).findFirst()
                .orElseThrow(() -> new IOException("image " + labels.imageRef() + " has no layer " + layerDigest));
        Map<String, String> annotations = new HashMap<>(layer.annotations());
        labels.tocDigest().filter(d -> layerDigest.equals(labels.layerDigest()))
                .ifPresent(d -> annotations.putIfAbsent(LayerLabels.TOC_DIGEST, d));
        return new ResolvedLayer(image, layer.withAnnotations(annotations));
    }

    private Manifest fetch(Reference reference, boolean pinnedToManifest) {
        try {
            return pinnedToManifest ? registry.manifest(reference) : registry.resolve(reference, platform).manifest();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
