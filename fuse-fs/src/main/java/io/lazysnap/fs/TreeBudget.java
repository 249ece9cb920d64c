package io.lazysnap.fs;

import java.time.Duration;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The heap the loaded {@link LayerTree}s of the layers served with one {@link LayerFsOptions} may take. Past it, the
 * trees of mounted layers idle for a while are dropped, least recently used first, until the rest fits. A tree used
 * more recently, not yet mounted, or pinned by its layer's fetching is never dropped, so the budget is exceeded while
 * such trees alone take more; {@link #admits} tells a caller whether a new layer fits, and the fetching of a dropped
 * tree waits until it does ({@link #reserve}).
 */
final class TreeBudget {

    private static final Logger LOG = LoggerFactory.getLogger(TreeBudget.class);

    private final long maxBytes;
    /** How long a tree must have gone unused before it may be dropped. */
    private final long idleNanos;
    /** Loaded trees, and dropped ones whose reopen has room reserved. */
    private final Set<LayerTree> loaded = new LinkedHashSet<>();
    private long bytes;
    private long drops;
    private long reopens;

    TreeBudget(long maxBytes, Duration idle) {
        this.maxBytes = maxBytes;
        this.idleNanos = idle.toNanos();
    }

    /**
     * Whether a layer of {@code entries} TOC entries fits, once idle trees are dropped as needed; false, dropping
     * nothing, if even then it would take the trees past the budget.
     */
    synchronized boolean admits(long entries) {
        return makeRoom(entries * LayerTree.BYTES_PER_ENTRY, null, true);
    }

    /** Why a layer of {@code entries} TOC entries was not admitted, in numbers. */
    synchronized String refusal(long entries) {
        long weight = entries * LayerTree.BYTES_PER_ENTRY;
        return weight > maxBytes
                ? String.format(Locale.ROOT, "its TOC's %d entries (about %d MiB of heap) are more than the heap set"
                        + " aside for mounted layers' TOCs (%d MiB)", entries, mib(weight), mib(maxBytes))
                : String.format(Locale.ROOT, "its TOC's %d entries (about %d MiB of heap) do not fit beside the %d MiB"
                        + " that TOCs in use take of the %d MiB set aside for mounted layers' TOCs", entries,
                        mib(weight), mib(bytes), mib(maxBytes));
    }

    private static long mib(long bytes) {
        return (bytes + (1 << 20) - 1) >> 20;
    }

    /** Counts a dropped {@code tree} as loaded if it fits (dropping idle trees as needed): room for its reopen. */
    synchronized boolean reserve(LayerTree tree) {
        if (loaded.contains(tree)) {
            return true;
        }
        if (!makeRoom(tree.weight(), tree, true)) {
            return false;
        }
        add(tree);
        return true;
    }

    synchronized void loaded(LayerTree tree) {
        add(tree);
        settle(tree);
    }

    /** {@code tree}, dropped before, was opened again. */
    synchronized void reopened(LayerTree tree) {
        reopens++;
        loaded(tree);
    }

    synchronized void unloaded(LayerTree tree) {
        if (loaded.remove(tree)) {
            bytes -= tree.weight();
        }
    }

    /** Drops idle trees while the loaded ones take more than the budget (after a pin is released, say). */
    synchronized void settle() {
        settle(null);
    }

    synchronized TreeStats stats() {
        return new TreeStats(bytes, maxBytes, drops, reopens);
    }

    private void add(LayerTree tree) {
        if (loaded.add(tree)) {
            bytes += tree.weight();
        }
    }

    private void settle(LayerTree kept) {
        makeRoom(0, kept, false);
        if (bytes > maxBytes) {
            LOG.debug("TOCs in use take {} bytes of heap, more than their budget of {}", bytes, maxBytes);
        }
    }

    /**
     * Drops idle trees, other than {@code kept} (just loaded for a use), least recently used first, until
     * {@code needed} more bytes fit; true if they do. With {@code onlyIfEnough}, drops nothing unless that makes
     * them fit: a refused layer must not cost the others their trees.
     */
    private boolean makeRoom(long needed, LayerTree kept, boolean onlyIfEnough) {
        if (bytes + needed <= maxBytes) {
            return true;
        }
        long idleSince = System.nanoTime() - idleNanos;
        List<LayerTree> idle = loaded.stream().filter(t -> t != kept && t.lastUse() - idleSince < 0)
                .filter(LayerTree::droppableNow).sorted(Comparator.comparingLong(LayerTree::lastUse)).toList();
        if (onlyIfEnough && bytes + needed - idle.stream().mapToLong(LayerTree::weight).sum() > maxBytes) {
            return false;
        }
        for (LayerTree tree : idle) {
            if (bytes + needed <= maxBytes) {
                break;
            }
            if (tree.drop()) {
                loaded.remove(tree);
                bytes -= tree.weight();
                drops++;
            }
        }
        return bytes + needed <= maxBytes;
    }
}
