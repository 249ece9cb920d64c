package io.lazysnap.fs;

import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heap the loaded {@link LayerTree}s of all layers may take. Past it, the trees of mounted layers idle for a
 * while are dropped, least recently used first, until the rest fits. A tree used more recently is never
 * dropped (the layers of a starting container would be opened again and again), so the budget can be exceeded while
 * more trees are in use at once than it holds; {@link #admits} tells a caller whether a new layer fits.
 */
final class TreeBudget {

    private static final Logger LOG = LoggerFactory.getLogger(TreeBudget.class);

    private final long maxBytes;
    /** How long a tree must have gone unused before it may be dropped. */
    private final long idleNanos;
    private final Set<LayerTree> loaded = new LinkedHashSet<>();
    private long bytes;
    private long drops;
    private long reopens;

    TreeBudget(long maxBytes, Duration idle) {
        this.maxBytes = maxBytes;
        this.idleNanos = idle.toNanos();
    }

    /**
     * Whether a layer of {@code entries} TOC entries fits, once idle trees are dropped as needed; false if even then
     * it would take the trees past the budget.
     */
    boolean admits(long entries) {
        return fits(entries * LayerTree.BYTES_PER_ENTRY);
    }

    /** Whether a tree of {@code weight} bytes fits, once idle trees are dropped as needed. */
    synchronized boolean fits(long weight) {
        makeRoom(weight, null);
        return bytes + weight <= maxBytes;
    }

    /** {@code tree}, dropped before, was opened again. */
    synchronized void reopened(LayerTree tree) {
        reopens++;
        loaded(tree);
    }

    synchronized void loaded(LayerTree tree) {
        if (loaded.add(tree)) {
            bytes += tree.weight();
        }
        makeRoom(0, tree);
        if (bytes > maxBytes) {
            LOG.debug("TOCs in use take {} bytes of heap, more than their budget of {}", bytes, maxBytes);
        }
    }

    synchronized void unloaded(LayerTree tree) {
        if (loaded.remove(tree)) {
            bytes -= tree.weight();
        }
    }

    /** Bytes of heap the loaded trees are estimated to take. */
    synchronized long bytes() {
        return bytes;
    }

    synchronized TreeStats stats() {
        return new TreeStats(bytes, maxBytes, drops, reopens);
    }

    /** Drops idle trees, other than {@code kept} (just loaded for a use), until {@code needed} more bytes fit. */
    private void makeRoom(long needed, LayerTree kept) {
        if (bytes + needed <= maxBytes) {
            return;
        }
        long idleSince = System.nanoTime() - idleNanos;
        List<LayerTree> idle = loaded.stream().filter(t -> t != kept && t.lastUse() - idleSince < 0)
                .sorted(Comparator.comparingLong(LayerTree::lastUse)).toList();
        for (LayerTree tree : idle) {
            if (bytes + needed <= maxBytes) {
                return;
            }
            if (tree.drop()) {
                loaded.remove(tree);
                bytes -= tree.weight();
                drops++;
            }
        }
    }
}
