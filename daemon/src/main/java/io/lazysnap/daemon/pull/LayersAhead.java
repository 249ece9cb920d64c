package io.lazysnap.daemon.pull;

import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Reference;

/** Told which image a pull is about to unpack, before containerd prepares any of its layers. */
@FunctionalInterface
public interface LayersAhead {

    /** Nothing is opened ahead. */
    LayersAhead NONE = (image, manifest) -> { };

    /**
     * Starts whatever makes the layers of {@code manifest} quicker to prepare; waits at most for what their first
     * Prepare would wait for anyway (the signature gate's verdict).
     */
    void open(Reference image, Manifest manifest);
}
