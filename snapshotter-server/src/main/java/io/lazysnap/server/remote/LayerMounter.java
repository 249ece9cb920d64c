package io.lazysnap.server.remote;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.EstargzLayer;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/** Makes an opened layer's files appear on a directory; closing the result takes them away. */
public interface LayerMounter {

    /** Mounts {@code layer}, opened from {@code blob}, on the empty directory {@code mountpoint}. */
    Closeable mount(String layerDigest, BlobSource blob, EstargzLayer layer, Path mountpoint) throws IOException;
}
