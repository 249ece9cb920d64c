package io.lazysnap.fs;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Semaphore;

/** How {@link LayerFs} serves layers; one instance can serve every layer of a process. */
public final class LayerFsOptions {

    final ChunkCache cache;
    final boolean prefetch;
    final boolean backgroundFetch;
    final long backgroundFetchBytesPerSecond;
    /** Shared by every layer served with these options: their background fetches wait for all their reads. */
    final ForegroundActivity activity;
    /** Range requests of prefetch and background fetch that may run at once, across all layers. */
    final Semaphore rangeLoads = new Semaphore(2);
    /**
     * Layers whose background fetch runs at once, across all layers: each holds its TOC in the heap for its turn
     * (the chunks it fetches are the TOC's objects), so this bounds what background fetching keeps from the budget.
     */
    final Semaphore backgroundTurns = new Semaphore(2);
    final long readAheadBytes;
    final int fetchAttempts;
    final Duration retryBackoff;
    final Duration entryTimeout;
    final Duration attrTimeout;
    final boolean allowOther;
    final ConnectionStore connections;
    final OperationTimer timer;
    /** Shared by every layer served with these options. */
    final TreeBudget trees;

    private LayerFsOptions(Builder b) {
        this.cache = b.cache;
        this.prefetch = b.prefetch;
        this.backgroundFetch = b.backgroundFetch;
        this.backgroundFetchBytesPerSecond = b.backgroundFetchBytesPerSecond;
        this.activity = new ForegroundActivity(b.backgroundFetchSilence);
        this.readAheadBytes = b.readAheadBytes;
        this.fetchAttempts = b.fetchAttempts;
        this.retryBackoff = b.retryBackoff;
        this.entryTimeout = b.entryTimeout;
        this.attrTimeout = b.attrTimeout;
        this.allowOther = b.allowOther;
        this.connections = b.connections;
        this.timer = b.timer;
        this.trees = new TreeBudget(b.treeMemoryBytes, b.treeIdle);
    }

    /**
     * Empty if a layer whose TOC has {@code entries} entries fits in the heap set aside for layers' trees, once the
     * trees of layers idle long enough are dropped; else why not. Serving such a layer lazily could run the JVM out
     * of heap.
     */
    public Optional<String> admission(long entries) {
        return trees.admits(entries) ? Optional.empty() : Optional.of(trees.refusal(entries));
    }

    /** The heap set aside for layers' trees unless {@link Builder#treeMemory} says otherwise: 3/8 of the maximum. */
    public static long defaultTreeMemoryBytes() {
        return Runtime.getRuntime().maxMemory() / 8 * 3;
    }

    /** What the layers served with these options hold of the heap in TOCs and inode tables. */
    public TreeStats treeStats() {
        return trees.stats();
    }

    /** Whether layers fetch their rest in the background: asked for, and there is a disk cache to fetch into. */
    boolean fetchesInBackground() {
        return backgroundFetch && cache.hasDisk();
    }

    /** Options that cache chunks in {@code cache} (share one cache between all layers). */
    public static Builder builder(ChunkCache cache) {
        return new Builder(cache);
    }

    /** Builder of {@link LayerFsOptions}; the defaults suit a node serving containers. */
    public static final class Builder {
        private final ChunkCache cache;
        private boolean prefetch = true;
        private boolean backgroundFetch = true;
        private long backgroundFetchBytesPerSecond = 8L << 20;
        private Duration backgroundFetchSilence = Duration.ofSeconds(5);
        private long readAheadBytes = 8L << 20;
        private int fetchAttempts = 3;
        private Duration retryBackoff = Duration.ofMillis(200);
        private Duration entryTimeout = Duration.ofHours(1);
        private Duration attrTimeout = Duration.ofHours(1);
        private boolean allowOther = true;
        private ConnectionStore connections;
        private OperationTimer timer = OperationTimer.NONE;
        private long treeMemoryBytes = defaultTreeMemoryBytes();
        private Duration treeIdle = Duration.ofSeconds(30);

        private Builder(ChunkCache cache) {
            this.cache = Objects.requireNonNull(cache, "cache");
        }

        /** Fetch the prioritised files (before {@code .prefetch.landmark}) at mount, in one request (default on). */
        public Builder prefetch(boolean on) {
            this.prefetch = on;
            return this;
        }

        /** After the prefetch, fetch the rest of the layer into the disk cache (default on; needs a disk cache). */
        public Builder backgroundFetch(boolean on) {
            this.backgroundFetch = on;
            return this;
        }

        /** Rate limit of the background fetch in compressed bytes per second, 0 for none (default 8 MiB/s). */
        public Builder backgroundFetchBytesPerSecond(long bytesPerSecond) {
            if (bytesPerSecond < 0) {
                throw new IllegalArgumentException("rate must not be negative");
            }
            this.backgroundFetchBytesPerSecond = bytesPerSecond;
            return this;
        }

        /**
         * How long after the last prefetch or registry fetch of a read, in any layer served with these options,
         * background fetches start (default 5 s, as stargz-snapshotter): a container start keeps the link to itself.
         */
        public Builder backgroundFetchSilence(Duration silence) {
            this.backgroundFetchSilence = notNegative(silence);
            return this;
        }

        /** How far ahead of a sequential reader chunks are loaded, 0 for no read-ahead (default 8 MiB). */
        public Builder readAheadBytes(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("read-ahead must not be negative");
            }
            this.readAheadBytes = bytes;
            return this;
        }

        /**
         * Reads of the blob per chunk before a read fails with EIO, and the first wait between them (doubling): 1
         * when the blob source retries itself. A chunk whose bytes fail verification is fetched once more whatever
         * this says.
         */
        public Builder fetchAttempts(int attempts, Duration backoff) {
            if (attempts < 1 || backoff.isNegative()) {
                throw new IllegalArgumentException("need at least one attempt and a non-negative backoff");
            }
            this.fetchAttempts = attempts;
            this.retryBackoff = backoff;
            return this;
        }

        /**
         * How long the kernel may cache names and missing names (default 1 h: the content never changes; whole
         * seconds).
         */
        public Builder entryTimeout(Duration timeout) {
            this.entryTimeout = notNegative(timeout);
            return this;
        }

        /** How long the kernel may cache attributes (default 1 h; whole seconds). */
        public Builder attrTimeout(Duration timeout) {
            this.attrTimeout = notNegative(timeout);
            return this;
        }

        /** Told the duration of every FUSE operation, e.g. for latency histograms (default: nobody). */
        public Builder operationTimer(OperationTimer timer) {
            this.timer = Objects.requireNonNull(timer, "timer");
            return this;
        }

        private static Duration notNegative(Duration timeout) {
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("timeout must not be negative");
            }
            return timeout;
        }

        /**
         * The heap that mounted layers' TOCs and inode tables may take together (about a kilobyte per file; default
         * three eighths of the JVM's maximum heap), and how long a layer must have gone unused before its tree may
         * be dropped to stay within it (default 30 s). A dropped tree is opened again, from disk, at the layer's next
         * use, through the {@link LayerReopener} it was started with.
         */
        public Builder treeMemory(long bytes, Duration idle) {
            if (bytes < 0) {
                throw new IllegalArgumentException("tree memory must not be negative");
            }
            this.treeMemoryBytes = bytes;
            this.treeIdle = notNegative(idle);
            return this;
        }

        /**
         * Where mounts keep their FUSE connections, so that they outlive this process (see {@link ConnectionStore});
         * a mount whose connection an earlier process left there is served again instead of mounted anew.
         */
        public Builder connections(ConnectionStore store) {
            this.connections = store;
            return this;
        }

        /**
         * Let every user, not only the mounting one, see the mount (default on; containers run as any uid).
         * Unprivileged mounters need {@code user_allow_other} in {@code /etc/fuse.conf}.
         */
        public Builder allowOther(boolean on) {
            this.allowOther = on;
            return this;
        }

        public LayerFsOptions build() {
            return new LayerFsOptions(this);
        }
    }
}
