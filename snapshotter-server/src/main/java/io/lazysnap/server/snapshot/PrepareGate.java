package io.lazysnap.server.snapshot;

import java.util.Map;

/**
 * Decides whether an image layer may enter this node at all, before anything is mounted or created for it: the
 * snapshotter asks on every Prepare that unpacks a layer (one carrying {@code containerd.io/snapshot.ref}), whether
 * the layer would then be served remotely or downloaded by containerd.
 */
public interface PrepareGate {

    /** Lets every layer in. */
    PrepareGate OPEN = labels -> { };

    /**
     * Returns normally to let the layer named by {@code labels} in.
     *
     * @throws SnapshotException {@code FAILED_PRECONDITION} naming the image and the reason, to refuse it
     */
    void admit(Map<String, String> labels);
}
