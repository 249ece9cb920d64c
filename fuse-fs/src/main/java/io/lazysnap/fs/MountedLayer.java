package io.lazysnap.fs;

import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A layer served at a mount point. {@link #close()} stops its fetching and unmounts it (lazily when busy); it is
 * safe to call more than once.
 */
public final class MountedLayer implements Closeable {

    private final FetchingLayer fetching;
    private final FuseMount mount;
    private final ConnectionStore store;
    private final Runnable onClose;
    private boolean closed;
    private boolean handedOver;

    MountedLayer(FetchingLayer fetching, FuseMount mount, ConnectionStore store, Runnable onClose) {
        this.fetching = fetching;
        this.mount = mount;
        this.store = store;
        this.onClose = onClose;
    }

    public Path mountpoint() {
        return mount.mountpoint();
    }

    public String layerDigest() {
        return fetching.layerDigest();
    }

    public LayerStats stats() {
        return fetching.counters().snapshot();
    }

    /** Waits until the prioritised files are cached (or their prefetch failed); true if it finished in time. */
    public boolean awaitPrefetch(Duration timeout) throws InterruptedException {
        return fetching.awaitPrefetch(timeout);
    }

    /**
     * Counts the layer as unused until its next file operation, so that its TOC is among the first dropped to make
     * room for others: for a mount restored at a start, which no container may need for a long time.
     */
    public void unused() {
        fetching.tree().unused();
    }

    /** Whether the mount is still served (after a lazy unmount, until its last file is closed). */
    public boolean isServing() {
        return mount.isServing();
    }

    /** Whether this process took the mount over from an earlier one rather than mounting it. */
    public boolean wasHandedOver() {
        return mount.adopted();
    }

    /** Whether the mount's connection is kept outside this process. */
    boolean kept() {
        return store != null;
    }

    /**
     * Stops serving the mount but leaves it mounted for the next process (see {@link LayerFs#handOverAll}); false
     * if its connection is not kept anywhere or it is closed.
     */
    synchronized boolean handOver(Duration drain) {
        if (store == null || closed || handedOver) {
            return false;
        }
        handedOver = true;
        fetching.fetcher().stop();
        mount.release(drain.toMillis());
        return true;
    }

    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        // No interrupts: they would close a blob source's channels under reads that a busy mount still serves.
        fetching.fetcher().stop();
        ThreadPoolExecutor readAhead = fetching.readAhead();
        readAhead.getQueue().clear();
        readAhead.shutdown();
        try {
            if (!handedOver) {
                mount.unmount();
                if (store != null) {
                    store.drop(mount.mountpoint());
                }
            }
        } finally {
            fetching.stopFetching();
            try {
                readAhead.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            fetching.unreference();
            onClose.run();
        }
    }

    @Override
    public String toString() {
        return "layer " + layerDigest() + " at " + mountpoint();
    }
}
