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
    private final Runnable onClose;
    private boolean closed;

    MountedLayer(FetchingLayer fetching, FuseMount mount, Runnable onClose) {
        this.fetching = fetching;
        this.mount = mount;
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

    /** Whether libfuse is still serving the mount (after a lazy unmount, until its last file is closed). */
    public boolean isServing() {
        return mount.isServing();
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
            mount.unmount();
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
