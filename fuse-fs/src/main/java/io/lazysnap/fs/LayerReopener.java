package io.lazysnap.fs;

import io.lazysnap.estargz.EstargzLayer;
import java.io.IOException;

/**
 * Opens a mounted layer again, from what its first open left on disk (its footer and TOC), when its tree was dropped
 * to make room for others ({@link LayerFsOptions.Builder#treeMemory}). It must give the same TOC: the inode
 * numbers the kernel holds follow it.
 */
@FunctionalInterface
public interface LayerReopener {

    EstargzLayer reopen() throws IOException;
}
