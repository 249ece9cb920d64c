package io.lazysnap.fs;

import io.lazysnap.estargz.BlobSource;
import io.lazysnap.estargz.EstargzLayer;
import java.io.IOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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
    private static final int MAX_READ = 128 << 10; // the most libfuse2 ever gets from the kernel at once
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
        Objects.requireNonNull(layerDigest, "layerDigest");
        Objects.requireNonNull(blob, "blob");
        Objects.requireNonNull(layer, "layer");
        Objects.requireNonNull(options, "options");
        if (!Charset.defaultCharset().equals(StandardCharsets.UTF_8)) {
            // jnr-ffi decodes the paths the kernel sends with the default charset; anything else loses names.
            throw new IllegalStateException("file names need the JVM's default charset to be UTF-8, not "
                    + Charset.defaultCharset() + ": run java with -Dfile.encoding=UTF-8 (or under a UTF-8 locale)");
        }
        return new FetchingLayer(layerDigest, blob, layer, options);
    }

    /**
     * Mounts {@code layer} at {@code mountpoint} (an existing empty directory) and returns once the kernel serves
     * it: {@link #start} and {@link FetchingLayer#mount} in one.
     *
     * @throws IOException if libfuse cannot mount
     */
    public static MountedLayer mount(String layerDigest, BlobSource blob, EstargzLayer layer, Path mountpoint,
                                     LayerFsOptions options) throws IOException {
        return start(layerDigest, blob, layer, options).mount(mountpoint);
    }

    /** The mount of a started layer. */
    static MountedLayer mount(FetchingLayer fetching, Path mountpoint) throws IOException {
        String layerDigest = fetching.layerDigest();
        LayerFsOptions options = fetching.options();
        FuseMount mount = FuseMount.mount(fetching.ops(), mountpoint, mountOptions(layerDigest, options),
                "lazysnap-fuse-" + shortName(layerDigest));
        MountedLayer[] self = new MountedLayer[1];
        self[0] = new MountedLayer(fetching, mount, () -> LIVE.remove(self[0]));
        LIVE.add(self[0]);
        LOG.info("mounted layer {} at {}: {} inodes, {} bytes, prefetch {}, background fetch {}", layerDigest,
                mount.mountpoint(), fetching.table().inodeCount(), fetching.table().totalBytes(),
                options.prefetch && fetching.layer().prefetchRange().isPresent() ? "on" : "off",
                options.fetchesInBackground() ? "on" : "off");
        return self[0];
    }

    /** The pool that loads chunks ahead of a sequential reader of one layer: small, bounded, idle threads exit. */
    static ThreadPoolExecutor readAheadPool(String layerDigest) {
        ThreadPoolExecutor readAhead = new ThreadPoolExecutor(READ_AHEAD_THREADS, READ_AHEAD_THREADS, 30,
                TimeUnit.SECONDS, new ArrayBlockingQueue<>(READ_AHEAD_QUEUE),
                daemonThreads("lazysnap-readahead-" + shortName(layerDigest)), new ThreadPoolExecutor.DiscardPolicy());
        readAhead.allowCoreThreadTimeOut(true);
        return readAhead;
    }

    /** libfuse options for immutable content that containers of any uid share. */
    static List<String> mountOptions(String layerDigest, LayerFsOptions options) {
        long entry = options.entryTimeout.toSeconds();
        List<String> o = new ArrayList<>(List.of("ro", "default_permissions", "kernel_cache", "use_ino",
                "max_read=" + MAX_READ, "entry_timeout=" + entry, "attr_timeout=" + options.attrTimeout.toSeconds(),
                "negative_timeout=" + entry, "fsname=" + layerDigest.replace(",", "_"), "subtype=lazysnap"));
        if (options.allowOther) {
            o.add("allow_other");
        }
        return o;
    }

    private static void unmountAll() {
        for (MountedLayer m : List.copyOf(LIVE)) {
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
