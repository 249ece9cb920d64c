package io.lazysnap.server.snapshot;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Serves committed layers without their content on disk: a Prepare whose labels name a layer that can be served
 * remotely becomes a committed snapshot whose {@code fs} directory is a mount of this provider.
 *
 * <p>A snapshot directory handed to the provider holds an empty {@code fs} directory to mount on; the provider may
 * keep small state files next to it (they move with the directory) so that {@link #restore} can mount the layer
 * again after a restart without asking the registry.
 */
public interface RemoteLayerProvider {

    /**
     * Mounts the layer that {@code labels} name on {@code snapshotDir/fs}, or returns empty when the layer cannot
     * be served remotely (then containerd downloads it). Closing the result unmounts it.
     */
    Optional<Closeable> mount(Map<String, String> labels, Path snapshotDir) throws IOException;

    /** Mounts again a layer that {@link #mount} served before, from the state it left in {@code snapshotDir}. */
    Closeable restore(Path snapshotDir) throws IOException;
}
