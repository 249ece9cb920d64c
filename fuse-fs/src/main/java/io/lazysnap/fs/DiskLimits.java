package io.lazysnap.fs;

/**
 * The bounds of the disk chunk cache, each a high watermark that starts eviction and a low one it stops at: the
 * cache's own bytes, the usage of the file system holding it in percent (like kubelet's
 * {@code imageGCHighThresholdPercent} / {@code imageGCLowThresholdPercent}; 100 % only keeps writes that cannot
 * fit from being tried), and its number of files, whose index is in the heap (low: nine tenths of high).
 */
record DiskLimits(long highBytes, long lowBytes, int highPercent, int lowPercent, long highFiles) {

    /**
     * Heap the index takes per file, counted high: an access-ordered map entry, the name's 32 bytes and the file's
     * size and state (138 bytes measured for 50,000 files; 194 when names were 64-character strings).
     */
    static final long INDEX_BYTES_PER_FILE = 144;

    /** With the default bound on files: as many as an eighth of this JVM's maximum heap indexes. */
    DiskLimits(long highBytes, long lowBytes, int highPercent, int lowPercent) {
        this(highBytes, lowBytes, highPercent, lowPercent,
                Math.max(1024, Runtime.getRuntime().maxMemory() / 8 / INDEX_BYTES_PER_FILE));
    }

    DiskLimits {
        if (highFiles < 1) {
            throw new IllegalArgumentException("need room for at least one file, not " + highFiles);
        }
        if (lowBytes < 0 || lowBytes > highBytes) {
            throw new IllegalArgumentException("need 0 <= low watermark <= high watermark, not " + lowBytes + " > "
                    + highBytes + " bytes");
        }
        if (lowPercent < 0 || lowPercent > highPercent || highPercent > 100) {
            throw new IllegalArgumentException("need 0 <= low percent <= high percent <= 100, not " + lowPercent
                    + " and " + highPercent);
        }
    }

    long lowFiles() {
        return highFiles - highFiles / 10;
    }
}
