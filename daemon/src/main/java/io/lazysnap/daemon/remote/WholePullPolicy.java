package io.lazysnap.daemon.remote;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lazysnap.estargz.ByteRange;
import io.lazysnap.estargz.Toc;
import io.lazysnap.registry.Descriptor;

/**
 * Which eStargz layers are pulled whole, like plain layers, instead of mounted lazily: those whose prefetch list
 * (the files before {@code .prefetch.landmark}, which the workload reads before it starts) is at least a given
 * share of the blob, and which are large enough for a parallel download to matter. Such a layer is read before
 * the container starts anyway, and the parallel download and unpack gets it there faster than a prefetch into
 * the cache followed by every read through FUSE; a smaller one is prefetched by one range request as fast as it
 * could be pulled, and mounting it costs less than unpacking it. The choice is made when the layer's TOC has been
 * read and checked, and remembered by layer digest for the unpacker.
 */
public final class WholePullPolicy {

    private final double share;
    private final long minBytes;
    private final Cache<String, Boolean> chosen = Caffeine.newBuilder().maximumSize(4096).build();

    /**
     * @param share    of the blob's bytes; above 1, no layer is chosen
     * @param minBytes the smallest blob chosen: what one round of the unpacker's parallel range requests covers
     */
    public WholePullPolicy(double share, long minBytes) {
        this.share = share;
        this.minBytes = minBytes;
    }

    /** A policy that keeps every layer lazy: for a daemon that does not unpack layers itself. */
    public static WholePullPolicy never() {
        return new WholePullPolicy(Double.POSITIVE_INFINITY, Long.MAX_VALUE);
    }

    /** Whether {@code layer}, whose checked TOC is {@code toc}, is to be pulled whole; remembered if so. */
    boolean choose(Descriptor layer, Toc toc) {
        long prefetched = toc.prefetchRange().map(ByteRange::length).orElse(0L);
        if (layer.size() < minBytes || prefetched < share * layer.size()) {
            return false;
        }
        chosen.put(layer.digest(), Boolean.TRUE);
        return true;
    }

    /** The share of the blob the prefetch list must reach. */
    double share() {
        return share;
    }

    /** Whether the layer with this digest was chosen to be pulled whole. */
    public boolean chosen(String layerDigest) {
        return chosen.getIfPresent(layerDigest) != null;
    }
}
