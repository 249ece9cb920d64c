package io.lazysnap.server.remote;

import io.lazysnap.estargz.EstargzLayer;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/** Makes an opened layer's files appear on a directory; closing the result takes them away. */
public interface LayerMounter {

    Closeable mount(EstargzLayer layer, String layerDigest, Path mountpoint) throws IOException;
}
