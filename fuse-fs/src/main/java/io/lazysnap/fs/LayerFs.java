package io.lazysnap.fs;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.EstargzLayer;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one eStargz / zstd:chunked layer as a read-only FUSE file system, fit to be an overlayfs
 * {@code lowerdir}. Files are fetched chunk by chunk on first read, verified against the TOC's chunk digests and
 * cached in the given {@link ChunkCache}.
 *
 * <pre>{@code
 * ChunkCache cache = ChunkCache.builder().disk(cacheDir, 10L << 30, 8L << 30).build();   // once per process
 * EstargzLayer layer = EstargzLayer.open(blob, descriptor.annotations());
 * try (MountedLayer mounted = LayerFs.mount(digest, blob, layer, mountpoint, LayerFsOptions.builder(cache).build())) {
 *     ...
 * }
 * }</pre>
 *
 * <p>{@link #start} then {@link FetchingLayer#mount} does the same in two steps, so that the prefetch can run
 * before the mount point exists.
 */
public final class LayerFs {

    private static final Logger LOG = LoggerFactory.getLogger(LayerFs.class);
    private static final int READ_AHEAD_THREADS = 2;
    private static final int READ_AHEAD_QUEUE = 64;
    /** Mounts that are still up, unmounted when the JVM exits: a FUSE mount without its process is dead. */
    private static final Set<MountedLayer> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(LayerFs::unmountAll, "lazysnap-unmount-all"));
    }

    private LayerFs() {
    }

    /**
     * Starts serving {@code layer}: its prefetch of the prioritised files begins at once, in the background, so that
     * they are cached, or on their way, by the time the layer is {@link FetchingLayer#mount mounted}.
     *
     * @param layerDigest the layer blob's digest, for log lines and the mount's source name
     * @param blob        the blob {@code layer} was opened from
     */
    public static FetchingLayer start(String layerDigest, BlobSource blob, EstargzLayer layer,
                                      LayerFsOptions options) {
        return start(layerDigest, blob, layer, null, options);
    }

    /**
     * As {@link #start(String, BlobSource, EstargzLayer, LayerFsOptions)}, for a layer that {@code reopener} can open
     * again: once mounted, its TOC and inode table may be dropped while it is idle, to keep all layers' trees within
     * {@link LayerFsOptions.Builder#treeMemory}. Null: they stay in the heap as long as the layer.
     */
    public static FetchingLayer start(String layerDigest, BlobSource blob, EstargzLayer layer,
                                      LayerReopener reopener, LayerFsOptions options) {
        Objects.requireNonNull(layerDigest, "layerDigest");
        Objects.requireNonNull(blob, "blob");
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(options, "options");
        return new FetchingLayer(layerDigest, blob, layer, reopener, options);
    }

    /**
     * Mounts {@code layer} at {@code mountpoint} (an existing empty directory) and returns once the kernel serves
     * it: {@link #start} and {@link FetchingLayer#mount} in one.
     *
     * @throws IOException if the mount fails
     */
    public static MountedLayer mount(String layerDigest, BlobSource blob, EstargzLayer layer, Path mountpoint,
                                     LayerFsOptions options) throws IOException {
        return start(layerDigest, blob, layer, options).mount(mountpoint);
    }

    /** The mount of a started layer. */
    static MountedLayer mount(FetchingLayer fetching, Path mountpoint) throws IOException {
        String layerDigest = fetching.layerDigest();
        LayerFsOptions options = fetching.options();
        FuseMount mount = connect(fetching, mountpoint.toAbsolutePath().normalize(), options.connections);
        MountedLayer[] self = new MountedLayer[1];
        self[0] = new MountedLayer(fetching, mount, options.connections, () -> LIVE.remove(self[0]));
        LIVE.add(self[0]);
        LayerTree tree = fetching.tree();
        LOG.info("{} layer {} at {}: {} inodes, {} bytes, prefetch {}, background fetch {}",
                mount.adopted() ? "took over the mount of" : "mounted", layerDigest,
                mount.mountpoint(), tree.inodeCount(), tree.totalBytes(),
                // loaded: it may be dropped only once mounted
                options.prefetch && tree.ifLoaded().layer().prefetchRange().isPresent() ? "on" : "off",
                options.fetchesInBackground() ? "on" : "off");
        return self[0];
    }

    /** Serves the mount an earlier process handed over at {@code mp}, if it is still there, or mounts anew. */
    private static FuseMount connect(FetchingLayer fetching, Path mp, ConnectionStore store) throws IOException {
        String name = "lazysnap-fuse-" + shortName(fetching.layerDigest());
        OptionalInt handed = store == null ? OptionalInt.empty() : store.take(mp);
        if (handed.isPresent()) {
            try {
                if (FuseMount.MountInfo.isMountPoint(mp)) {
                    return FuseMount.adopt(fetching.ops(), mp, handed.getAsInt(), name);
                }
                LOG.info("the mount at {} was handed over but is gone: mounting it again", mp);
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot serve the mount at {} that was handed over ({}): mounting it again", mp, e.toString());
                Syscalls.C.umount2(Syscalls.cString(mp.toString()), Syscalls.MNT_DETACH);
            }
            Syscalls.closeQuietly(handed.getAsInt());
            store.drop(mp);
        }
        FuseMount mount = FuseMount.mount(fetching.ops(), mp, fetching.layerDigest(), fetching.options().allowOther,
                name);
        if (store != null) {
            store.keep(mp, mount.connection());
        }
        return mount;
    }

    /**
     * Stops serving every mount whose connection is kept in a {@link ConnectionStore}, leaving it mounted for the
     * next process, after the reads in flight are answered (for at most {@code drain}). Requests that arrive
     * meanwhile wait in the kernel. Later {@link MountedLayer#close()} calls then leave those mounts alone.
     */
    public static void handOverAll(Duration drain) {
        // All at once: the drain is a bound on the whole stop, not per mount (a service manager's stop timeout).
        List<Thread> drains = new ArrayList<>();
        for (MountedLayer m : List.copyOf(LIVE)) {
            Thread t = daemonThreads("lazysnap-handover").newThread(() -> {
                if (m.handOver(drain)) {
                    LIVE.remove(m);
                }
            });
            t.start();
            drains.add(t);
        }
        for (Thread t : drains) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** The pool that loads chunks ahead of a sequential reader of one layer: small, bounded, idle threads exit. */
    static ThreadPoolExecutor readAheadPool(String layerDigest) {
        ThreadPoolExecutor readAhead = new ThreadPoolExecutor(READ_AHEAD_THREADS, READ_AHEAD_THREADS, 30,
                TimeUnit.SECONDS, new ArrayBlockingQueue<>(READ_AHEAD_QUEUE),
                daemonThreads("lazysnap-readahead-" + shortName(layerDigest)), new ThreadPoolExecutor.DiscardPolicy());
        readAhead.allowCoreThreadTimeOut(true);
        return readAhead;
    }

    /** At exit, mounts whose connections are not kept elsewhere are unmounted: nothing could serve them. */
    private static void unmountAll() {
        for (MountedLayer m : List.copyOf(LIVE)) {
            if (m.kept()) {
                continue;
            }
            try {
                m.close();
            } catch (IOException | RuntimeException e) {
                LOG.warn("cannot unmount {} at exit: {}", m, e.toString());
            }
        }
    }

    static String shortName(String digest) {
        String hex = digest.substring(digest.indexOf(':') + 1);
        return hex.substring(0, Math.min(12, hex.length()));
    }

    static java.util.concurrent.ThreadFactory daemonThreads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, n.getAndIncrement() == 0 ? name : name + "-" + n.get());
            t.setDaemon(true);
            return t;
        };
    }
}
