package io.lazysnap.daemon.snapshot;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Serves committed layers without their content on disk: a Prepare whose labels name a layer that can be served
 * remotely becomes a committed snapshot whose {@code fs} directory is a mount of this provider.
 *
 * <p>Serving takes two steps so that the slow one runs outside the snapshot store's lock: {@link #open} finds and
 * checks the layer (network), {@link RemoteLayer#mount} mounts it on the new snapshot's directory (local). A
 * mounted layer may keep small state files beside its {@code fs} directory so that {@link #restore} can mount it
 * again after a restart without asking the registry.
 */
public interface RemoteLayerProvider {

    /** A layer found and checked, ready to mount. */
    interface RemoteLayer {
        /** Mounts the layer on {@code snapshotDir/fs} (an empty directory); closing the result unmounts it. */
        Closeable mount(Path snapshotDir) throws IOException;

        /**
         * Called once the mounted layer is committed, outside the store's lock, before the Prepare answers: may
         * wait, for a bounded time, until the layer can serve a container's first reads without the network.
         */
        default void awaitReady() throws InterruptedException {
        }

        /** The layer will not be mounted (the Prepare failed or lost a race): release what opening it started. */
        default void discard() {
        }
    }

    /**
     * Starts, without waiting, what opening {@code layer} and the other layers of its image will wait for. The
     * snapshotter calls it first thing in a Prepare that may serve the layer, before it asks anything that may
     * need the network.
     */
    default void ahead(LayerLabels layer) {
    }

    /** The layer, or empty when it cannot be served remotely (containerd downloads it). */
    Optional<RemoteLayer> open(LayerLabels layer) throws IOException;

    /** Mounts again a layer mounted before, from the state it left in {@code snapshotDir}. */
    Closeable restore(Path snapshotDir) throws IOException;

    /**
     * The remote snapshot in {@code snapshotDir} was removed and its mount closed: drop what only that layer needed
     * (cached data other layers do not share). The directory is deleted when this returns.
     */
    default void removed(Path snapshotDir) throws IOException {
    }
}
