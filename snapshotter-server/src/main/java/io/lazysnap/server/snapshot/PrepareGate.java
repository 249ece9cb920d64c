package io.lazysnap.server.snapshot;

import java.util.Map;

/**
 * Decides whether an image layer may enter this node at all, before anything is mounted or created for it: the
 * snapshotter asks on every Prepare that unpacks a layer (one carrying {@code containerd.io/snapshot.ref}), whether
 * the layer would then be served remotely or downloaded by containerd.
 */
public interface PrepareGate {

    /** Lets every layer in, as its labels name it. */
    PrepareGate OPEN = labels -> labels;

    /**
     * Returns normally to let the layer named by {@code labels} in.
     *
     * @return the labels to serve the layer by: {@code labels}, pinned to the manifest whose signature was checked
     *         (its digest in {@code containerd.io/snapshot/cri.manifest-digest}) when they named only a tag
     * @throws SnapshotException {@code FAILED_PRECONDITION} naming the image and the reason, to refuse it
     */
    Map<String, String> admit(Map<String, String> labels);
}
