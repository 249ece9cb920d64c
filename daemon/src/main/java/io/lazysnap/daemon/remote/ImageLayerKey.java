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
}
