package io.lazysnap.daemon.snapshot;

import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Reference;
import java.util.List;
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
     * Whether the image of {@code manifest} would be let in, for work started ahead of its Prepares (fetching TOCs,
     * downloading layers): decides what those Prepares will ask, but leaves the counting and logging of the verdict
     * to them. This default asks {@link #admit} about the first layer.
     */
    default boolean admitsAhead(Reference image, Manifest manifest) {
        List<String> layers = manifest.layers().stream().map(Descriptor::digest).toList();
        if (layers.isEmpty()) {
            return true;
        }
        try {
            admit("", Optional.of(new LayerLabels("", image.toString(), layers.get(0),
                    Optional.of(manifest.descriptor().digest()), layers, List.of(), false)));
            return true;
        } catch (SnapshotException refused) {
            return false;
        }
    }

    /**
     * What this gate decides by, as a fingerprint that changes whenever its decisions may: a layer admitted under
     * another one is admitted again before it is served after a restart.
     */
    default String policy() {
        return NO_POLICY;
    }
}
