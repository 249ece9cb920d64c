package io.lazysnap.daemon.remote;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.EstargzLayer;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Makes an opened layer's files appear on a directory, in two steps: {@link #start} begins fetching the layer's
 * prioritised files as soon as its TOC is known, {@link Started#mount} puts the files on the snapshot's directory
 * when its Prepare comes. Closing the mount takes them away.
 */
public interface LayerMounter {

    /** A layer being fetched, not yet mounted; closing it stops the fetching unless it was mounted. */
    interface Started extends Closeable {
        /** Mounts the layer on the empty directory {@code mountpoint}; a failed mount stops the fetching. */
        Mount mount(Path mountpoint) throws IOException;

        @Override
        void close();
    }

    /** A mounted layer; closing it unmounts the layer. */
    interface Mount extends Closeable {
        /** Waits, for at most the configured time, until the layer's prioritised files are cached. */
        void awaitPrefetch() throws InterruptedException;

        /** Counts the layer as unused until its files are next used (a mount restored at a start). */
        void unused();
    }

    /** Opens a started layer again from what its first open left on disk: its footer and TOC reads. */
    interface Reopener {
        EstargzLayer reopen() throws IOException;
    }

    /**
     * Starts fetching {@code layer}, opened from {@code blob}: its prefetch begins now. Once it is mounted, its TOC may
     * be dropped from the heap while it is idle and opened again through {@code reopener}.
     */
    Started start(String layerDigest, BlobSource blob, EstargzLayer layer, Reopener reopener);

    /**
     * Empty if a layer of {@code entries} TOC entries fits in the heap set aside for mounted layers' TOCs, beside the
     * ones in use; else why not. Mounting it anyway could run the daemon out of heap.
     */
    Optional<String> admission(long entries);

    /** {@code layer}, unmounted, will not be mounted again (its snapshot was removed): drop what only it used. */
    void forget(EstargzLayer layer);
}
