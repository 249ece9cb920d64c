package io.lazysnap.fs;

import io.lazysnap.estargz.ByteRange;
import io.lazysnap.estargz.Toc;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The work a mounted layer does without being asked: first the prefetch of the prioritised files (everything
 * before {@code .prefetch.landmark}) with one range request, then, if enabled, the background fetch of the rest
 * into the disk cache, in blob order, in coalesced requests, rate limited, two layers at a time, waiting while any
 * layer's mount, prefetch or reads are fetching ({@link ForegroundActivity}).
 */
final class LayerFetcher implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(LayerFetcher.class);
    /**
     * Largest single request, prefetch or background (at most {@link LayerFsOptions#rangeLoads} run at a time in the
     * whole process). A request is read piece by piece and holds only the member being read, so this bounds round
     * trips, not the heap: one round trip per 4 MiB costs 6% at 100 Mbit/s, 20 ms; the 2-minute range deadline
     * (verifying and caching included) and a failed request's refetch stay small.
     */
    static final long MAX_REQUEST_BYTES = 4L << 20;
    /** Sleeps are this short so that {@link #stop()} takes effect quickly without interrupting blob reads. */
    private static final long PAUSE_MILLIS = 50;
    /** How long a background fetch whose tree does not fit in the heap's budget waits before it asks again. */
    private static final long ROOM_WAIT_MILLIS = 5_000;

    private final String layerDigest;
    private final LayerTree tree;
    private final ChunkLoader loader;
    private final LayerCounters counters;
    private final boolean prefetch;
    private final boolean background;
    private final long bytesPerSecond;
    private final ForegroundActivity activity;
    private final Semaphore rangeLoads;
    private final Semaphore backgroundTurns;
    private final CountDownLatch prefetched = new CountDownLatch(1);
    private final CountDownLatch mounted = new CountDownLatch(1);
    private volatile boolean stopped;

    LayerFetcher(String layerDigest, LayerTree tree, ChunkLoader loader, LayerCounters counters, boolean prefetch,
                 boolean background, long bytesPerSecond, ForegroundActivity activity, Semaphore rangeLoads,
                 Semaphore backgroundTurns) {
        this.layerDigest = layerDigest;
        this.tree = tree;
        this.loader = loader;
        this.counters = counters;
        this.prefetch = prefetch;
        this.background = background;
        this.bytesPerSecond = bytesPerSecond;
        this.activity = activity;
        this.rangeLoads = rangeLoads;
        this.backgroundTurns = backgroundTurns;
    }

    @Override
    public void run() {
        // A fresh mount is part of a container start even without a prefetch: its reads are about to come.
        activity.begin();
        try {
            if (prefetch) {
                prefetch();
            }
        } finally {
            activity.end();
            counters.prefetchDone = true;
            prefetched.countDown();
        }
        if (background && !stopped) {
            try {
                background();
                counters.backgroundFetchDone = !stopped;
            } catch (InterruptedIOException | InterruptedException e) {
                LOG.debug("layer {}: background fetch stopped", layerDigest);
            }
        }
    }

    boolean awaitPrefetch(long timeout, TimeUnit unit) throws InterruptedException {
        return prefetched.await(timeout, unit);
    }

    /** The layer is mounted: the background fetch may start (a layer never mounted is only prefetched). */
    void mounted() {
        mounted.countDown();
    }

    /** Asks the work to stop after the request in progress, if any. */
    void stop() {
        stopped = true;
    }

    /** Holds the layer's tree while it runs: the chunks it fetches are the tree's objects. */
    private void prefetch() {
        long start = System.nanoTime();
        try {
            Toc toc = tree.pin().layer().toc();
            try {
                ByteRange range = toc.prefetchRange().orElse(null);
                if (range == null) {
                    return;
                }
                List<FileChunk> wanted = FileChunk.allOf(toc).stream()
                        .filter(fc -> fc.chunk().memberEnd() <= range.end()).toList();
                for (List<FileChunk> batch : batches(wanted, MAX_REQUEST_BYTES)) {
                    if (stopped) {
                        LOG.debug("layer {}: prefetch stopped", layerDigest);
                        return;
                    }
                    loadRange(batch, ChunkLoader.Purpose.PREFETCH);
                }
                LOG.info("layer {}: prefetched {} chunks of prioritised files ({} bytes) in {} ms", layerDigest,
                        wanted.size(), range.length(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
            } finally {
                tree.unpin();
            }
        } catch (IOException e) {
            LOG.warn("layer {}: prefetch failed, files will be fetched on demand: {}", layerDigest, e.toString());
        }
    }

    /**
     * Holds the layer's tree from when its turn starts (not while it waits for the mount, for quiet or for a turn)
     * until it is done: the chunks it fetches are the tree's objects. A tree dropped meanwhile is opened again only
     * when it fits in the budget beside the trees in use; until then the fetch waits.
     */
    private void background() throws InterruptedException, InterruptedIOException {
        if (!awaitMount()) {
            return;
        }
        while (!stopped) {
            if (activity.awaitQuiet(() -> stopped)) {
                return;
            }
            if (!backgroundTurns.tryAcquire(PAUSE_MILLIS, TimeUnit.MILLISECONDS)) {
                continue;
            }
            try {
                if (tree.pinIfItFits()) {
                    try {
                        background(tree.ifLoaded().layer().toc()); // loaded while pinned
                    } finally {
                        tree.unpin();
                    }
                    return;
                }
            } catch (InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                LOG.warn("layer {}: no background fetch, files will be fetched on demand: {}", layerDigest,
                        e.toString());
                return;
            } finally {
                backgroundTurns.release();
            }
            for (int i = 0; i < ROOM_WAIT_MILLIS / PAUSE_MILLIS && !stopped; i++) {
                Thread.sleep(PAUSE_MILLIS);
            }
        }
    }

    private void background(Toc toc) throws InterruptedException, InterruptedIOException {
        long start = System.nanoTime();
        long fetched = 0;
        List<FileChunk> missing = new ArrayList<>();
        for (FileChunk fc : FileChunk.allOf(toc)) {
            if (!loader.isCached(fc, true)) {
                missing.add(fc);
            }
        }
        for (List<FileChunk> batch : batches(missing, MAX_REQUEST_BYTES)) {
            if (activity.awaitQuiet(() -> stopped)) {
                return;
            }
            try {
                loadRange(batch, ChunkLoader.Purpose.BACKGROUND);
            } catch (InterruptedIOException e) {
                throw e;
            } catch (IOException e) {
                LOG.debug("layer {}: background fetch of {} chunks failed: {}", layerDigest, batch.size(), e.toString());
            }
            fetched += span(batch);
            if (bytesPerSecond > 0) {
                long due = start + fetched * 1_000_000_000L / bytesPerSecond;
                while (!stopped && System.nanoTime() < due) {
                    Thread.sleep(PAUSE_MILLIS);
                }
            }
        }
        LOG.info("layer {}: background fetch done ({} chunks)", layerDigest, missing.size());
    }

    private void loadRange(List<FileChunk> batch, ChunkLoader.Purpose purpose) throws IOException {
        try {
            rangeLoads.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting to fetch");
        }
        try {
            loader.loadRange(batch, purpose);
        } finally {
            rangeLoads.release();
        }
    }

    /** Waits for the mount; false if stopped first. */
    private boolean awaitMount() throws InterruptedException {
        while (!stopped) {
            if (mounted.await(PAUSE_MILLIS, TimeUnit.MILLISECONDS)) {
                return true;
            }
        }
        return false;
    }

    /** Consecutive chunks grouped so that each group's compressed span stays within {@code limit} bytes. */
    static List<List<FileChunk>> batches(List<FileChunk> chunks, long limit) {
        List<List<FileChunk>> out = new ArrayList<>();
        List<FileChunk> current = new ArrayList<>();
        for (FileChunk fc : chunks) {
            if (!current.isEmpty() && fc.chunk().memberEnd() - current.get(0).chunk().memberOffset() > limit) {
                out.add(current);
                current = new ArrayList<>();
            }
            current.add(fc);
        }
        if (!current.isEmpty()) {
            out.add(current);
        }
        return out;
    }

    private static long span(List<FileChunk> batch) {
        return batch.get(batch.size() - 1).chunk().memberEnd() - batch.get(0).chunk().memberOffset();
    }
}
