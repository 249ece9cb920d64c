package io.lazysnap.fs;

/**
 * The bounds of the disk chunk cache, each a high watermark that starts eviction and a low one it stops at: the
 * cache's own bytes, and the usage of the file system holding it in percent (like kubelet's
 * {@code imageGCHighThresholdPercent} / {@code imageGCLowThresholdPercent}); 100 % only keeps
 * writes that cannot fit from being tried.
 */
record DiskLimits(long highBytes, long lowBytes, int highPercent, int lowPercent) {

    DiskLimits {
        if (lowBytes < 0 || lowBytes > highBytes) {
            throw new IllegalArgumentException("need 0 <= low watermark <= high watermark, not " + lowBytes + " > "
                    + highBytes + " bytes");
        }
        if (lowPercent < 0 || lowPercent > highPercent || highPercent > 100) {
            throw new IllegalArgumentException("need 0 <= low percent <= high percent <= 100, not " + lowPercent
                    + " and " + highPercent);
        }
    }
}
