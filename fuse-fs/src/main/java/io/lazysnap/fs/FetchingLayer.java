package io.lazysnap.fs;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.EstargzLayer;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A layer whose prefetch runs before it is mounted: opened as soon as its TOC is known (for example while
 * containerd is still preparing the image's lower layers), mounted once, when its own Prepare comes. The
 * background fetch of the rest waits for the mount. {@link #close()} stops the fetching of a layer that is never
 * mounted; once mounted, the {@link MountedLayer} owns it.
 */
public final class FetchingLayer implements Closeable {

    private final String layerDigest;
    private final LayerTree tree;
    private final LayerFsOptions options;
    private final LayerCounters counters = new LayerCounters();
    private final LayerFetcher fetcher;
    private final Thread fetcherThread;
    private final ThreadPoolExecutor readAhead;
    private final LayerOps ops;
    private boolean mounted;
    private boolean closed;

    /** @param reopener opens the layer again if its tree is dropped; null: the tree stays as long as the layer */
    FetchingLayer(String layerDigest, BlobSource blob, EstargzLayer layer, LayerReopener reopener,
                  LayerFsOptions options) {
        this.layerDigest = layerDigest;
        this.options = options;
        this.tree = new LayerTree(layerDigest, layer, reopener, options.trees);
        ChunkLoader loader = new ChunkLoader(layerDigest, layer, blob, options.cache, counters, options.fetchAttempts,
                options.retryBackoff.toMillis(), options.activity);
        this.fetcher = new LayerFetcher(layerDigest, tree, loader, counters,
                options.prefetch, options.fetchesInBackground(), options.backgroundFetchBytesPerSecond,
                options.activity, options.rangeLoads, options.backgroundTurns);
        this.fetcherThread = LayerFs.daemonThreads("lazysnap-fetch-" + LayerFs.shortName(layerDigest))
                .newThread(fetcher);
        this.readAhead = LayerFs.readAheadPool(layerDigest);
        this.ops = new LayerOps(tree, new FileReader(loader, readAhead, options.readAheadBytes), counters,
                options.timer, options.entryTimeout, options.attrTimeout);
        // Referenced from the start: what the prefetch caches is this layer's even before the mount.
        options.cache.reference(this, layer.toc());
        fetcherThread.start();
    }

    public String layerDigest() {
        return layerDigest;
    }

    /** Waits until the prioritised files are cached (or their prefetch failed); true if it finished in time. */
    public boolean awaitPrefetch(Duration timeout) throws InterruptedException {
        return fetcher.awaitPrefetch(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Mounts the layer at {@code mountpoint} (an existing empty directory) and returns once the kernel serves it;
     * the background fetch starts after the prefetch. A failed mount stops the fetching.
     *
     * @throws IllegalStateException if it was mounted or closed before
     * @throws IOException           if libfuse cannot mount
     */
    public synchronized MountedLayer mount(Path mountpoint) throws IOException {
        if (mounted || closed) {
            throw new IllegalStateException("layer " + layerDigest + " was already " + (closed ? "closed" : "mounted"));
        }
        try {
            MountedLayer m = LayerFs.mount(this, mountpoint);
            mounted = true;
            tree.mounted();
            fetcher.mounted();
            return m;
        } catch (IOException | RuntimeException | Error e) {
            close();
            throw e;
        }
    }

    /** Stops the fetching unless the layer was mounted (then its {@link MountedLayer} stops it). */
    @Override
    public synchronized void close() {
        if (!mounted && !closed) {
            closed = true;
            readAhead.shutdownNow();
            stopFetching();
            unreference();
        }
    }

    /** The layer is gone: its chunks and its tree no longer count. */
    void unreference() {
        options.cache.unreference(this);
        tree.closed();
    }

    /** Asks the fetcher to stop after the request in progress and waits a little for it. */
    void stopFetching() {
        fetcher.stop();
        try {
            fetcherThread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    LayerTree tree() {
        return tree;
    }

    LayerFsOptions options() {
        return options;
    }

    LayerCounters counters() {
        return counters;
    }

    LayerFetcher fetcher() {
        return fetcher;
    }

    ThreadPoolExecutor readAhead() {
        return readAhead;
    }

    LayerOps ops() {
        return ops;
    }

    @Override
    public String toString() {
        return "layer " + layerDigest + (mounted ? " (mounted)" : closed ? " (closed)" : " (fetching)");
    }
}
