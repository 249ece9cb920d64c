package io.lazysnap.daemon.pull;

import java.io.IOException;

/**
 * How many of an image's layers, counted from the bottom, containerd already has. A committed snapshot's parent
 * always exists, so the layers present are a prefix of the image's chain: its end is found with a few Stats (one on a
 * node that has none of the image, two on one that has all of it) instead of one per layer, each a round trip on the
 * container's start-up path.
 */
final class PresentLayers {

    /** Whether containerd has the snapshot of the layer at this index. */
    @FunctionalInterface
    interface Probe {
        boolean present(int index) throws IOException;
    }

    private PresentLayers() {
    }

    /** The number of bottom layers present, out of {@code layers}; the bottom one is always probed first. */
    static int count(int layers, Probe probe) throws IOException {
        if (layers == 0 || !probe.present(0)) {
            return 0;
        }
        if (probe.present(layers - 1)) {
            return layers;
        }
        int present = 0;
        int missing = layers - 1;
        while (missing - present > 1) {
            int middle = (present + missing) >>> 1;
            if (probe.present(middle)) {
                present = middle;
            } else {
                missing = middle;
            }
        }
        return missing;
    }
}
