package io.lazysnap.fs;

import io.lazysnap.estargz.EstargzLayer;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A layer's TOC and the inode table built from it: up to a kilobyte of heap per file for as long as the layer is
 * mounted, so a node with many images would hold more than the daemon's heap. Once mounted, a layer nobody has used
 * for a while may be dropped by the {@link TreeBudget} and opened again at its next use, with the same inode numbers
 * (they follow the TOC, whose digest is checked). A layer without a {@link LayerReopener} is never dropped.
 */
final class LayerTree {

    private static final Logger LOG = LoggerFactory.getLogger(LayerTree.class);
    /**
     * Heap per TOC entry, TOC and inode table together, counted high: 474 bytes measured for 20,000 small files in
     * paths of about 55 characters. 674 before the TOC and the inode table stopped keeping a map of every path,
     * directory entries their own copy of names their object's path ends with, and digests their 71-character
     * strings. Earlier, 790-820 bytes for 15,000 files in deeper paths, and 1,150 before entries without extended
     * attributes shared one empty map and single-chunk files one digest string.
     */
    static final long BYTES_PER_ENTRY = 672;
    /** After a failed reopen, uses fail at once for this long instead of each trying again and logging. */
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(5);

    /** The tree while loaded. */
    record Loaded(EstargzLayer layer, InodeTable table) {
    }

    private final String layerDigest;
    private final LayerReopener reopener;
    private final TreeBudget budget;
    private final long weight;
    private final String tocDigest;
    /** For statfs, which monitoring agents call on every mount: answered without opening a dropped tree. */
    private final long inodeCount;
    private final long totalBytes;
    private volatile Loaded loaded;
    private volatile long lastUse = System.nanoTime();
    /** Mounted, so dropping it is safe: a layer not yet mounted is being prefetched and is about to be used. */
    private volatile boolean droppable;
    /** The layer is gone (a busy mount may still serve): the tree no longer counts in the budget. Guarded by this. */
    private boolean closed;
    /** Holders of the tree's chunks (the layer's fetching), which keep it in the heap anyway; guarded by this. */
    private int pins;
    /** When the last reopen failed, and why; guarded by this. */
    private long failedAt;
    private IOException failure;

    LayerTree(String layerDigest, EstargzLayer layer, LayerReopener reopener, TreeBudget budget) {
        this.layerDigest = layerDigest;
        this.reopener = reopener;
        this.budget = budget;
        InodeTable table = InodeTable.of(layer.toc());
        this.loaded = new Loaded(layer, table);
        this.weight = layer.toc().entries().size() * BYTES_PER_ENTRY;
        this.tocDigest = layer.toc().digest();
        this.inodeCount = table.inodeCount();
        this.totalBytes = table.totalBytes();
        budget.loaded(this);
    }

    /** The tree for a use of the layer's files, opened again if it was dropped. */
    Loaded get() throws IOException {
        lastUse = System.nanoTime();
        Loaded l = loaded;
        return l != null ? l : reload(false);
    }

    /**
     * The tree, kept until {@link #unpin()}: for the layer's fetching, whose list of chunks holds the tree's objects,
     * so that the tree counts in the budget while it is in the heap anyway.
     */
    Loaded pin() throws IOException {
        return reload(true);
    }

    /**
     * As {@link #pin()}, unless the tree was dropped and does not fit in the budget again: then false, and nothing is
     * held. For work that can wait (the background fetch), which must not take the heap past the budget.
     */
    boolean pinIfItFits() throws IOException {
        synchronized (this) {
            if (loaded != null) {
                pins++;
                return true;
            }
            if (closed) {
                return false;
            }
        }
        if (!budget.reserve(this)) {
            return false;
        }
        try {
            reload(true);
        } catch (IOException | RuntimeException e) {
            budget.unloaded(this);
            throw e;
        }
        return true;
    }

    /** Releases a {@link #pin()}; a budget past its bound may drop trees now. */
    void unpin() {
        synchronized (this) {
            pins--;
        }
        budget.settle();
    }

    /** The loaded tree, opened again if need be; with {@code pin}, pinned under the same lock that loads it. */
    private Loaded reload(boolean pin) throws IOException {
        Loaded fresh;
        boolean reopened = false;
        synchronized (this) {
            if (loaded == null) {
                loaded = open();
                reopened = !closed;
            }
            fresh = loaded;
            if (pin) {
                pins++;
            }
        }
        if (reopened) {
            budget.reopened(this); // outside this lock: the budget takes trees' locks to drop them
        }
        return fresh;
    }

    /** Opens the tree again; holding this lock, so that concurrent uses wait for one open. */
    private Loaded open() throws IOException {
        long start = System.nanoTime();
        if (failure != null && start - failedAt < RETRY_NANOS) {
            throw failure;
        }
        try {
            EstargzLayer layer = reopener.reopen();
            if (!tocDigest.equals(layer.toc().digest())) {
                throw new IOException("its TOC opened again is not the one it was mounted with (" + layer.toc().digest()
                        + " instead of " + tocDigest + "): the files it recorded changed");
            }
            Loaded fresh = new Loaded(layer, InodeTable.of(layer.toc()));
            failure = null;
            LOG.info("layer {}: its TOC, dropped to keep the heap within its budget, opened again ({} entries) in {}"
                    + " ms", layerDigest, layer.toc().entries().size(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            return fresh;
        } catch (IOException e) {
            failedAt = start;
            failure = new IOException("cannot open the TOC of layer " + layerDigest + " again: " + e.getMessage(), e);
            LOG.error("layer {}: cannot open its TOC again, its files fail with EIO (tried again in {} s): {}",
                    layerDigest, TimeUnit.NANOSECONDS.toSeconds(RETRY_NANOS), e.toString());
            throw failure;
        }
    }

    /** The layer is mounted: from now on it may be dropped while idle, if it can be opened again. */
    void mounted() {
        droppable = reopener != null;
    }

    /** Counts the layer as unused since long ago: its tree is among the first to make room. */
    void unused() {
        lastUse = System.nanoTime() - TimeUnit.DAYS.toNanos(365);
    }

    /** The layer is gone: its tree no longer counts, and a busy mount still serving keeps it from now on. */
    void closed() {
        synchronized (this) {
            closed = true;
            droppable = false;
        }
        budget.unloaded(this);
    }

    /** Whether {@link #drop()} would drop the tree now. */
    synchronized boolean droppableNow() {
        return droppable && loaded != null && pins == 0;
    }

    /** Drops the tree if it may be; true if it did. */
    synchronized boolean drop() {
        if (!droppableNow()) {
            return false;
        }
        loaded = null;
        LOG.debug("layer {}: TOC dropped ({} bytes of heap) until its next use", layerDigest, weight);
        return true;
    }

    /** The tree if it is loaded (always while pinned), without counting as a use. */
    Loaded ifLoaded() {
        return loaded;
    }

    long inodeCount() {
        return inodeCount;
    }

    long totalBytes() {
        return totalBytes;
    }

    long weight() {
        return weight;
    }

    long lastUse() {
        return lastUse;
    }
}
