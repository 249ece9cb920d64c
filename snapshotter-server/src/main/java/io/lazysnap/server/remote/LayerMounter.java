package io.lazysnap.server.remote;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.EstargzLayer;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/** Makes an opened layer's files appear on a directory; closing the result takes them away. */
public interface LayerMounter {

    /** A mounted layer; closing it unmounts the layer. */
    interface Mount extends Closeable {
        /** Waits, for at most the configured time, until the layer's prioritised files are cached. */
        void awaitPrefetch() throws InterruptedException;
    }

    /** Mounts {@code layer}, opened from {@code blob}, on the empty directory {@code mountpoint}. */
    Mount mount(String layerDigest, BlobSource blob, EstargzLayer layer, Path mountpoint) throws IOException;

    /** {@code layer}, unmounted, will not be mounted again (its snapshot was removed): drop what only it used. */
    void forget(EstargzLayer layer);
}
