package io.lazysnap.fs;

import io.lazysnap.estargz.EstargzLayer;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A layer's TOC and the inode table built from it: about a kilobyte of heap per file for as long as the layer is
 * mounted, so a node with many images would hold more than the daemon's heap. Once mounted, a layer nobody has used
 * for a while may be dropped by the {@link TreeBudget} and opened again at its next use, with the same inode numbers
 * (they follow the TOC). A layer without a {@link LayerReopener} is never dropped.
 */
final class LayerTree {

    private static final Logger LOG = LoggerFactory.getLogger(LayerTree.class);
    /**
     * Heap per TOC entry, TOC and inode table together, counted high: 790-820 bytes measured for 15,000 small files
     * in deep paths (1,150 before entries without extended attributes shared one empty map and single-chunk files
     * one digest string).
     */
    static final long BYTES_PER_ENTRY = 1024;

    /** The tree while loaded. */
    record Loaded(EstargzLayer layer, InodeTable table) {
    }

    private final String layerDigest;
    private final LayerReopener reopener;
    private final TreeBudget budget;
    private final long weight;
    private volatile Loaded loaded;
    private volatile long lastUse = System.nanoTime();
    /** Mounted, so dropping it is safe: a layer not yet mounted is being prefetched and is about to be used. */
    private volatile boolean droppable;
    /** Holders of the tree's chunks (the layer's fetching), which keep it in the heap anyway; guarded by this. */
    private int pins;

    LayerTree(String layerDigest, EstargzLayer layer, LayerReopener reopener, TreeBudget budget) {
        this.layerDigest = layerDigest;
        this.reopener = reopener;
        this.budget = budget;
        this.loaded = new Loaded(layer, InodeTable.of(layer.toc()));
        this.weight = layer.toc().entries().size() * BYTES_PER_ENTRY;
        budget.loaded(this);
    }

    /** The tree for a use of the layer's files, opened again if it was dropped. */
    Loaded get() throws IOException {
        lastUse = System.nanoTime();
        return load();
    }

    private Loaded load() throws IOException {
        Loaded l = loaded;
        return l != null ? l : reload();
    }

    /**
     * The tree, kept until {@link #unpin()}: for the layer's fetching, whose list of chunks holds the tree's objects,
     * so that the tree counts in the budget while it is in the heap anyway.
     */
    Loaded pin() throws IOException {
        while (true) {
            synchronized (this) {
                if (loaded != null) {
                    pins++;
                    return loaded;
                }
            }
            reload();
        }
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
        }
        if (!budget.fits(weight)) {
            return false;
        }
        pin();
        return true;
    }

    synchronized void unpin() {
        pins--;
    }

    /** Counts the layer as unused since long ago: its tree is among the first to make room. */
    void unused() {
        lastUse = System.nanoTime() - TimeUnit.DAYS.toNanos(365);
    }

    /** The tree if it is loaded (always while pinned), without counting as a use. */
    Loaded ifLoaded() {
        return loaded;
    }

    private Loaded reload() throws IOException {
        Loaded fresh;
        synchronized (this) {
            if (loaded != null) {
                return loaded;
            }
            long start = System.nanoTime();
            EstargzLayer layer = reopener.reopen();
            fresh = new Loaded(layer, InodeTable.of(layer.toc()));
            loaded = fresh;
            LOG.info("layer {}: its TOC, dropped to keep the heap within its budget, opened again ({} entries) in {}"
                    + " ms", layerDigest, layer.toc().entries().size(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        }
        budget.reopened(this); // outside this lock: the budget takes trees' locks to drop them
        return fresh;
    }

    /** The layer is mounted: from now on it may be dropped while idle, if it can be opened again. */
    void mounted() {
        droppable = reopener != null;
    }

    /** The layer is gone: its tree no longer counts. */
    void closed() {
        droppable = false;
        budget.unloaded(this);
    }

    /** Drops the tree if it may be; true if it did. */
    synchronized boolean drop() {
        if (!droppable || loaded == null || pins > 0) {
            return false;
        }
        loaded = null;
        LOG.debug("layer {}: TOC dropped ({} bytes of heap) until its next use", layerDigest, weight);
        return true;
    }

    long weight() {
        return weight;
    }

    long lastUse() {
        return lastUse;
    }

    String layerDigest() {
        return layerDigest;
    }
}
