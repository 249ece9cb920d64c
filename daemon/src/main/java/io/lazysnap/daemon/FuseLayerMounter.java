package io.lazysnap.daemon;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.fs.ChunkCache;
import io.lazysnap.fs.FetchingLayer;
import io.lazysnap.fs.LayerFs;
import io.lazysnap.fs.LayerFsOptions;
import io.lazysnap.fs.MountedLayer;
import io.lazysnap.daemon.status.LayerStatsFiles;
import io.lazysnap.daemon.metrics.Metrics;
import io.lazysnap.daemon.remote.LayerMounter;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Mounts layers with fuse-fs, followed by the metrics and the stats files, and keeps the mounted layers by digest
 * so that the pull log can tell what each one fetched.
 */
final class FuseLayerMounter implements LayerMounter {

    private static final Logger log = LoggerFactory.getLogger(FuseLayerMounter.class);

    private final ChunkCache cache;
    private final LayerFsOptions options;
    private final Duration prefetchTimeout;
    private final Metrics metrics;
    private final LayerStatsFiles statsFiles;
    private final Map<String, MountedLayer> mounted = new ConcurrentHashMap<>();

    FuseLayerMounter(ChunkCache cache, LayerFsOptions options, Duration prefetchTimeout, Metrics metrics,
                     LayerStatsFiles statsFiles) {
        this.cache = cache;
        this.options = options;
        this.prefetchTimeout = prefetchTimeout;
        this.metrics = metrics;
        this.statsFiles = statsFiles;
    }

    @Override
    public Started start(String layerDigest, BlobSource blob, EstargzLayer layer, Reopener reopener) {
        FetchingLayer fetching = LayerFs.start(layerDigest, metrics.countReads(layerDigest, blob), layer,
                reopener == null ? null : reopener::reopen, options);
        return new Started() {
            @Override
            public Mount mount(Path mountpoint) throws IOException {
                return tracked(fetching.mount(mountpoint));
            }

            @Override
            public void close() {
                fetching.close();
            }
        };
    }

    private Mount tracked(MountedLayer layerFs) {
        String layerDigest = layerFs.layerDigest();
        mounted.put(layerDigest, layerFs);
        Closeable tracked = statsFiles.track(layerFs, metrics.track(layerFs));
        return new Mount() {
            @Override
            public void awaitPrefetch() throws InterruptedException {
                if (!prefetchTimeout.isZero() && !layerFs.awaitPrefetch(prefetchTimeout)) {
                    log.info("layer {}: prefetch not done after {} s (prefetch_timeout_sec); answering containerd,"
                            + " reads fetch what they need", layerDigest, prefetchTimeout.toSeconds());
                }
            }

            @Override
            public void unused() {
                layerFs.unused();
            }

            @Override
            public void close() throws IOException {
                mounted.remove(layerDigest, layerFs);
                tracked.close();
            }
        };
    }

    @Override
    public Optional<String> admission(long entries) {
        return options.admission(entries);
    }

    @Override
    public void forget(EstargzLayer layer) {
        long freed = cache.evictUnreferenced(layer.toc());
        if (freed > 0) {
            log.info("deleted {} bytes of disk cache chunks no mounted layer uses", freed);
        }
    }

    /** Compressed bytes the mounted layer {@code layerDigest} has read from its registry; 0 if it is not mounted. */
    long fetchedBytes(String layerDigest) {
        MountedLayer layer = mounted.get(layerDigest);
        return layer == null ? 0 : layer.stats().blobBytes();
    }
}
