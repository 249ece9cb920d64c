package io.lazysnap.daemon.remote;

import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Reference;
import io.lazysnap.daemon.snapshot.LayerLabels;
import java.io.IOException;

/**
 * Finds a layer's descriptor (size, media type, annotations such as the TOC digest) in the manifest its labels
 * pin (the signature gate pins the one it verified), or else in the one the image's tag names. Only the
 * manifest's own annotations count: a TOC digest passed as a label is not trusted over the manifest.
 */
final class LayerResolver {

    private final Manifests manifests;

    LayerResolver(Manifests manifests) {
        this.manifests = manifests;
    }

    ResolvedLayer resolve(LayerLabels labels, String layerDigest) throws IOException {
        Manifest manifest = manifest(labels);
        return new ResolvedLayer(Reference.parse(labels.imageRef()), layer(manifest, labels.imageRef(), layerDigest));
    }

    /** Whether {@link #manifest} would answer without asking the registry. */
    boolean hasManifest(LayerLabels labels) {
        return labels.manifestDigest().map(manifests::hasPinned)
                .orElseGet(() -> manifests.hasRecent(Reference.parse(labels.imageRef())));
    }

    /** The manifest the labels pin, or else the one the image's tag names. */
    Manifest manifest(LayerLabels labels) throws IOException {
        Reference image = Reference.parse(labels.imageRef());
        return labels.manifestDigest().isPresent()
                ? manifests.pinned(image, labels.manifestDigest().get()) : manifests.recent(image);
    }

    /** The descriptor of the layer the labels name, in {@code manifest}. */
    Descriptor layer(Manifest manifest, LayerLabels labels) throws IOException {
        return layer(manifest, labels.imageRef(), labels.layerDigest());
    }

    private static Descriptor layer(Manifest manifest, String imageRef, String layerDigest) throws IOException {
        return manifest.layers().stream().filter(d -> d.digest().equals(layerDigest)).findFirst()
                .orElseThrow(() -> new IOException("image " + imageRef + " (manifest "
                        + manifest.descriptor().digest() + ") has no layer " + layerDigest));
    }
}
