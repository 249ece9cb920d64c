package io.lazysnap.daemon.snapshot;

import java.util.Optional;

/**
 * Decides whether an image layer may enter this node at all, before anything is mounted or created for it: the
 * snapshotter asks on every Prepare that unpacks a layer (one carrying {@code containerd.io/snapshot.ref}), whether
 * the layer would then be served remotely or downloaded by containerd.
 */
public interface PrepareGate {

    /** Lets every layer in, as its labels name it. */
    PrepareGate OPEN = (target, layer) -> layer;

    /** The {@link #policy()} of a gate that lets everything in. */
    String NO_POLICY = "none";

    /**
     * Returns normally to let the layer in.
     *
     * @param target the chain ID the Prepare would commit the layer as
     * @param layer  what the Prepare's labels say of the layer; empty when they name no image
     * @return the layer to serve: {@code layer}, pinned to the manifest whose signature was checked when its labels
     *         named only a tag
     * @throws SnapshotException {@code FAILED_PRECONDITION} naming the image and the reason, to refuse it
     */
    Optional<LayerLabels> admit(String target, Optional<LayerLabels> layer);

    /**
     * What this gate decides by, as a fingerprint that changes whenever its decisions may: a layer admitted under
     * another one is admitted again before it is served after a restart.
     */
    default String policy() {
        return NO_POLICY;
    }
}
