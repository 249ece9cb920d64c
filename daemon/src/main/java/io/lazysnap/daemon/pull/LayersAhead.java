package io.lazysnap.daemon.pull;

import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Reference;
import java.util.List;

/** Told which image a pull is about to unpack, before containerd prepares any of its layers. */
public interface LayersAhead {

    /** Nothing is done ahead. */
    LayersAhead NONE = new LayersAhead() {
        @Override
        public void open(Reference image, Manifest manifest) {
        }

        @Override
        public void unpack(Reference image, Manifest manifest, List<String> missing) {
        }
    };

    /**
     * The image resolved to {@code manifest}: starts whatever makes its layers quicker to prepare (their TOCs);
     * waits at most for what their first Prepare would wait for anyway (the signature gate's verdict).
     */
    void open(Reference image, Manifest manifest);

    /** Of the layers of {@code manifest}, those with these digests are not on the node yet: starts fetching them. */
    void unpack(Reference image, Manifest manifest, List<String> missing);
}
