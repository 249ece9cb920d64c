package io.lazysnap.daemon.pull;

import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Reference;

/** Told which image a pull is about to unpack, before containerd prepares any of its layers. */
@FunctionalInterface
public interface LayersAhead {

    /** Nothing is opened ahead. */
    LayersAhead NONE = (image, manifest) -> { };

    /** Starts, without waiting, whatever makes the layers of {@code manifest} quicker to prepare. */
    void open(Reference image, Manifest manifest);
}
