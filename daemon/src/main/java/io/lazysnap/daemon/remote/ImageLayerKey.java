package io.lazysnap.daemon.remote;

import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Reference;
import io.lazysnap.daemon.snapshot.LayerLabels;

/**
 * Which image a layer is worked on for, ahead of its Prepare: the same layer digest in another image (or another
 * manifest of it) has its own descriptor, TOC annotation and repository, so it never shares an entry.
 */
record ImageLayerKey(String imageRef, String manifestDigest, String layerDigest) {

    static ImageLayerKey of(LayerLabels labels, String layerDigest) {
        return new ImageLayerKey(labels.imageRef(), labels.manifestDigest().orElse(""), layerDigest);
    }

    static ImageLayerKey of(Reference image, Manifest manifest, String layerDigest) {
        return new ImageLayerKey(image.toString(), manifest.descriptor().digest(), layerDigest);
    }

    // Written out: a record's generated equals is bootstrapped at its first call, which for this key is the first
    // Prepare of a pull, and cost that Prepare 3-10 ms on a freshly started daemon.
    @Override
    public boolean equals(Object o) {
        return o instanceof ImageLayerKey k && imageRef.equals(k.imageRef) && manifestDigest.equals(k.manifestDigest)
                && layerDigest.equals(k.layerDigest);
    }

    @Override
    public int hashCode() {
        return (imageRef.hashCode() * 31 + manifestDigest.hashCode()) * 31 + layerDigest.hashCode();
    }
}
