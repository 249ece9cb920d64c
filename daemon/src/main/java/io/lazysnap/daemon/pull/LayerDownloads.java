package io.lazysnap.daemon.pull;

/**
 * How many bytes of a layer the daemon has downloaded so far while it pulls and unpacks the layer itself (behind
 * containerd's Prepare, which says nothing until it is done), so that {@code rpull} can show them.
 */
@FunctionalInterface
public interface LayerDownloads {

    /** The daemon unpacks no layer itself. */
    LayerDownloads NONE = (imageRef, manifestDigest, layerDigest) -> 0;

    /** Bytes downloaded of the layer for that image and manifest; 0 when it is not being downloaded. */
    long downloaded(String imageRef, String manifestDigest, String layerDigest);
}
