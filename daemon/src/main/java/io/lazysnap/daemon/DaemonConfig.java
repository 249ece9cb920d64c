package io.lazysnap.daemon;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.lazysnap.fs.ConnectionStore;
import io.lazysnap.fs.LayerFsOptions;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.daemon.root.Root;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The daemon's configuration file (TOML). Every key is optional; unknown keys are rejected so that a typo never
 * silently falls back to a default. Command-line flags override the file.
 *
 * @param root               state directory
 * @param address            the gRPC socket containerd's proxy plugin connects to
 * @param allowUnverifiedToc serve eStargz layers lazily even without a TOC digest annotation (chunks are still
 *                           checked against the TOC, but the TOC itself is then unauthenticated)
 * @param noPrefetch         do not fetch a layer's prioritised files at mount (stargz-snapshotter's name)
 * @param noBackgroundFetch  do not fetch the rest of a layer in the background (stargz-snapshotter's name)
 * @param prefetchTimeoutSec how long a Prepare waits for its layer's prefetch before answering, so that the first
 *                           container reads the prioritised files from the cache; 0: no wait (stargz-snapshotter's
 *                           name and default)
 * @param registry           how to reach registries
 * @param cache              chunk cache sizes
 * @param blob               fetching chunks from registries (stargz-snapshotter's {@code [blob]} names)
 * @param fuse               the kernel's caching of the FUSE mounts (stargz-snapshotter's {@code [fuse]} names)
 * @param policy             the signature policy file (TOML, see the verifier module); none: images are not checked
 * @param metricsAddress     {@code host:port} serving Prometheus metrics at {@code /metrics}; none: no endpoint
 *                           (stargz-snapshotter's name)
 * @param logFormat          {@code text} (default) or {@code json}: one JSON object per line, for log collectors
 * @param resolver           registry mirrors in stargz-snapshotter's {@code [resolver]} form
 * @param directoryCache     the stargz-snapshotter {@code [directory_cache]} keys that mean something here
 * @param unpack             layers that are not served lazily, downloaded and unpacked by lazysnap itself
 */
public record DaemonConfig(@JsonProperty("root") String root,
                           @JsonProperty("address") String address,
                           @JsonProperty("allow_unverified_toc") Boolean allowUnverifiedToc,
                           @JsonProperty("noprefetch") Boolean noPrefetch,
                           @JsonProperty("no_background_fetch") Boolean noBackgroundFetch,
                           @JsonProperty("prefetch_timeout_sec") Long prefetchTimeoutSec,
                           @JsonProperty("registry") Registry registry,
                           @JsonProperty("cache") Cache cache,
                           @JsonProperty("blob") Blob blob,
                           @JsonProperty("fuse") Fuse fuse,
                           @JsonProperty("policy") String policy,
                           @JsonProperty("metrics_address") String metricsAddress,
                           @JsonProperty("log_format") String logFormat,
                           @JsonProperty("resolver") Resolver resolver,
                           @JsonProperty("directory_cache") DirectoryCache directoryCache,
                           @JsonProperty("unpack") Unpack unpack) {

    public static final String DEFAULT_ROOT = "/var/lib/lazysnap";
    public static final String DEFAULT_ADDRESS = "/run/lazysnap/lazysnap.sock";

    /**
     * @param hostsDir     containerd-style {@code certs.d} directory of {@code <host>/hosts.toml} files
     * @param plainHttp    registry hosts ({@code host:port}) spoken to over plain HTTP
     * @param dockerConfig docker {@code config.json} with credentials
     */
    public record Registry(@JsonProperty("hosts_dir") String hostsDir,
                           @JsonProperty("plain_http") List<String> plainHttp,
                           @JsonProperty("docker_config") String dockerConfig) {

        public Registry {
            hostsDir = hostsDir == null ? "/etc/containerd/certs.d" : hostsDir;
            plainHttp = plainHttp == null ? List.of() : List.copyOf(plainHttp);
            dockerConfig = dockerConfig == null ? System.getProperty("user.home") + "/.docker/config.json" : dockerConfig;
        }
    }

    /**
     * stargz-snapshotter's {@code [directory_cache]}, as far as it maps onto lazysnap's disk cache. Its other keys
     * count memory entries and open files, which lazysnap does not have; they are rejected with what to use.
     *
     * @param syncAdd whether adding a chunk waits until its file is written: lazysnap's disk cache always does,
     *                so both values are accepted (false only allows not waiting)
     */
    public record DirectoryCache(@JsonProperty("sync_add") Boolean syncAdd) {

        public DirectoryCache {
            syncAdd = syncAdd == null || syncAdd;
        }
    }

    /**
     * stargz-snapshotter's {@code [[resolver.host."<registry>".mirrors]]}: mirrors tried in order before the hosts
     * of {@code [registry] hosts_dir}, which end with the registry itself.
     *
     * @param host mirrors by the registry they mirror, as image references name it ({@code docker.io})
     */
    public record Resolver(@JsonProperty("host") Map<String, ResolverHost> host) {

        public Resolver {
            host = host == null ? Map.of() : Map.copyOf(host);
        }
    }

    /** @param mirrors in the order to try them */
    public record ResolverHost(@JsonProperty("mirrors") List<Mirror> mirrors) {

        public ResolverHost {
            mirrors = mirrors == null ? List.of() : List.copyOf(mirrors);
        }
    }

    /**
     * @param host     {@code host[:port][/path]}
     * @param insecure plain HTTP instead of HTTPS
     * @param header   request headers for this mirror: a string or an array of strings each
     */
    public record Mirror(@JsonProperty("host") String host,
                         @JsonProperty("insecure") Boolean insecure,
                         @JsonProperty("header") Map<String, Object> header) {

        public Mirror {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("a mirror needs host = \"<host[:port]>\"");
            }
            insecure = insecure != null && insecure;
            header = header == null ? Map.of() : Map.copyOf(header);
            header.forEach((name, value) -> headerValues(name, value));
        }

        /** The header's values; TOML gives a string or an array. */
        public Map<String, List<String>> headers() {
            Map<String, List<String>> out = new LinkedHashMap<>();
            header.forEach((name, value) -> out.put(name, headerValues(name, value)));
            return out;
        }

        private static List<String> headerValues(String name, Object value) {
            if (value instanceof String s) {
                return List.of(s);
            }
            if (value instanceof List<?> list && list.stream().allMatch(String.class::isInstance)) {
                return list.stream().map(String.class::cast).toList();
            }
            throw new IllegalArgumentException("mirror header " + name + " must be a string or an array of strings");
        }
    }

    /**
     * @param memoryBytes      decompressed chunks kept in memory
     * @param diskHighBytes    the on-disk chunk cache ({@code <root>/cache}) is trimmed when it grows past this...
     * @param diskLowBytes     ...down to this, least recently used first
     * @param diskHighPercent  ...and also when its file system is fuller than this (kubelet's image GC high
     *                         threshold; chunks are not written while it stays above)...
     * @param diskLowPercent   ...down to this
     */
    public record Cache(@JsonProperty("memory_bytes") Long memoryBytes,
                        @JsonProperty("disk_high_bytes") Long diskHighBytes,
                        @JsonProperty("disk_low_bytes") Long diskLowBytes,
                        @JsonProperty("disk_high_percent") Integer diskHighPercent,
                        @JsonProperty("disk_low_percent") Integer diskLowPercent) {

        public Cache {
            memoryBytes = atLeast(0, "memory_bytes", memoryBytes == null ? 16L << 20 : memoryBytes);
            diskHighBytes = atLeast(0, "disk_high_bytes", diskHighBytes == null ? 10L << 30 : diskHighBytes);
            diskLowBytes = atLeast(0, "disk_low_bytes", diskLowBytes == null ? diskHighBytes * 8 / 10 : diskLowBytes);
            notAbove("disk_low_bytes", diskLowBytes, "disk_high_bytes", diskHighBytes);
            diskHighPercent = (int) atLeast(0, "disk_high_percent", diskHighPercent == null ? 85 : diskHighPercent);
            diskLowPercent = (int) atLeast(0, "disk_low_percent", diskLowPercent == null ? 80 : diskLowPercent);
            notAbove("disk_high_percent", diskHighPercent, "100", 100);
            notAbove("disk_low_percent", diskLowPercent, "disk_high_percent", diskHighPercent);
        }
    }

    /**
     * @param fetchingTimeoutSec  seconds one registry request may stall before it fails and is retried
     * @param rangeTimeoutSec     seconds one ranged read (a lazy read's chunks, a TOC) may take, retries included
     * @param maxRetries          retries of a failed registry request, after the first attempt
     * @param minWaitMsec         the wait before the first retry, doubling...
     * @param maxWaitMsec         ...up to this
     */
    public record Blob(@JsonProperty("fetching_timeout_sec") Long fetchingTimeoutSec,
                       @JsonProperty("range_timeout_sec") Long rangeTimeoutSec,
                       @JsonProperty("max_retries") Integer maxRetries,
                       @JsonProperty("min_wait_msec") Long minWaitMsec,
                       @JsonProperty("max_wait_msec") Long maxWaitMsec) {

        public Blob {
            fetchingTimeoutSec = atLeast(1, "fetching_timeout_sec", fetchingTimeoutSec == null ? 30 : fetchingTimeoutSec);
            rangeTimeoutSec = atLeast(1, "range_timeout_sec", rangeTimeoutSec == null ? 120 : rangeTimeoutSec);
            maxRetries = (int) atLeast(0, "max_retries", maxRetries == null ? 4 : maxRetries);
            minWaitMsec = atLeast(0, "min_wait_msec", minWaitMsec == null ? 200 : minWaitMsec);
            maxWaitMsec = atLeast(0, "max_wait_msec", maxWaitMsec == null ? Math.max(10_000, minWaitMsec) : maxWaitMsec);
            notAbove("min_wait_msec", minWaitMsec, "max_wait_msec", maxWaitMsec);
        }
    }

    /**
     * @param attrTimeout   seconds the kernel may cache a file's attributes
     * @param entryTimeout  seconds the kernel may cache a name (and a missing name)
     * @param handover      where mounts' FUSE connections are kept so that they survive the daemon
     *                      ({@code auto}, {@code systemd}, {@code keeper}, {@code off}; see docs/handover.md)
     * @param drainTimeout  seconds a stop waits for reads in flight before it leaves the mounts to the next daemon
     * @param handoverTimeout seconds a {@code keeper} holds the mounts of a daemon that is gone: after that, reads
     *                      fail (ENOTCONN) instead of waiting for a daemon that does not come back
     * @param tocMemoryBytes heap that mounted layers' TOCs and inode tables may take together; 0 for three eighths of
     *                      the daemon's maximum heap
     * @param tocIdleSec    seconds a mounted layer must go unused before its TOC may be dropped to stay within
     *                      {@code tocMemoryBytes} (it is opened again, from disk, at the layer's next use)
     */
    public record Fuse(@JsonProperty("attr_timeout") Long attrTimeout,
                       @JsonProperty("entry_timeout") Long entryTimeout,
                       @JsonProperty("handover") String handover,
                       @JsonProperty("drain_timeout") Long drainTimeout,
                       @JsonProperty("handover_timeout") Long handoverTimeout,
                       @JsonProperty("toc_memory_bytes") Long tocMemoryBytes,
                       @JsonProperty("toc_idle_sec") Long tocIdleSec) {

        public Fuse {
            attrTimeout = atLeast(0, "attr_timeout", attrTimeout == null ? 3600 : attrTimeout);
            entryTimeout = atLeast(0, "entry_timeout", entryTimeout == null ? 3600 : entryTimeout);
            handover = handover == null ? "auto" : ConnectionStore.Mode.parse(handover).name().toLowerCase(Locale.ROOT);
            drainTimeout = atLeast(0, "drain_timeout", drainTimeout == null ? 10 : drainTimeout);
            handoverTimeout = atLeast(1, "handover_timeout", handoverTimeout == null ? 120 : handoverTimeout);
            tocMemoryBytes = atLeast(0, "toc_memory_bytes", tocMemoryBytes == null ? 0 : tocMemoryBytes);
            tocIdleSec = atLeast(0, "toc_idle_sec", tocIdleSec == null ? 30 : tocIdleSec);
        }

        /** The heap set aside for mounted layers' TOCs, in bytes. */
        public long tocMemory() {
            return tocMemoryBytes > 0 ? tocMemoryBytes : LayerFsOptions.defaultTreeMemoryBytes();
        }

        public ConnectionStore.Mode handoverMode() {
            return ConnectionStore.Mode.parse(handover);
        }
    }

    /**
     * @param enabled             whether a Prepare carrying image labels has lazysnap download and unpack a layer it
     *                            does not serve lazily (else containerd downloads it)
     * @param chunkSize           bytes per range request
     * @param connectionsPerLayer range requests at once for one layer
     * @param connections         range requests at once for all such layers together (chunks go to a spool file
     *                            beside the layer being unpacked, not to memory)
     * @param wholePullPrefetchShare an eStargz layer whose prefetch list (the files before its
     *                            {@code .prefetch.landmark}) is at least this share of its bytes, and which is at
     *                            least {@code chunkSize × connectionsPerLayer}, is pulled whole like a plain layer
     *                            instead of mounted lazily: the workload reads it before it starts anyway; above
     *                            1, never
     */
    public record Unpack(@JsonProperty("enabled") Boolean enabled,
                         @JsonProperty("chunk_size") Integer chunkSize,
                         @JsonProperty("connections_per_layer") Integer connectionsPerLayer,
                         @JsonProperty("connections") Integer connections,
                         @JsonProperty("whole_pull_prefetch_share") Double wholePullPrefetchShare) {

        public Unpack {
            enabled = enabled == null || enabled;
            chunkSize = (int) atLeast(64 << 10, "chunk_size", chunkSize == null ? 4 << 20 : chunkSize);
            notAbove("chunk_size", chunkSize, "67108864", 64 << 20);
            connectionsPerLayer = (int) atLeast(1, "connections_per_layer",
                    connectionsPerLayer == null ? 4 : connectionsPerLayer);
            connections = (int) atLeast(1, "connections", connections == null ? 8 : connections);
            notAbove("connections", connections, "256", 256);
            wholePullPrefetchShare = wholePullPrefetchShare == null ? 0.5 : wholePullPrefetchShare;
            if (!(wholePullPrefetchShare > 0)) {
                throw new IllegalArgumentException("whole_pull_prefetch_share must be above 0 (above 1: never), not "
                        + wholePullPrefetchShare);
            }
        }
    }

    public DaemonConfig {
        root = root == null ? DEFAULT_ROOT : root;
        address = address == null ? DEFAULT_ADDRESS : address;
        allowUnverifiedToc = allowUnverifiedToc != null && allowUnverifiedToc;
        noPrefetch = noPrefetch != null && noPrefetch;
        noBackgroundFetch = noBackgroundFetch != null && noBackgroundFetch;
        prefetchTimeoutSec = atLeast(0, "prefetch_timeout_sec", prefetchTimeoutSec == null ? 0 : prefetchTimeoutSec);
        registry = registry == null ? new Registry(null, null, null) : registry;
        cache = cache == null ? new Cache(null, null, null, null, null) : cache;
        blob = blob == null ? new Blob(null, null, null, null, null) : blob;
        fuse = fuse == null ? new Fuse(null, null, null, null, null, null, null) : fuse;
        logFormat = logFormat == null ? "text" : logFormat;
        resolver = resolver == null ? new Resolver(null) : resolver;
        directoryCache = directoryCache == null ? new DirectoryCache(null) : directoryCache;
        unpack = unpack == null ? new Unpack(null, null, null, null, null) : unpack;
        if (!logFormat.equals("text") && !logFormat.equals("json")) {
            throw new IllegalArgumentException("log_format must be \"text\" or \"json\", not \"" + logFormat + "\"");
        }
    }

    public static DaemonConfig defaults() {
        return new DaemonConfig(null, null, null, null, null, null, null, null, null, null, null, null, null, null,
                null, null);
    }

    /** The state directory, and what is kept in it. */
    public Root rootDir() {
        return new Root(Path.of(root));
    }

    /** Defaults with another state directory and socket, as tests and {@code serve --root/--address} use. */
    public static DaemonConfig at(Path root, Path address) {
        return defaults().withOverrides(root, address);
    }

    /** Reads a config file; an unknown key or a bad value is an error naming the file, the key and the reason. */
    public static DaemonConfig load(Path file) throws IOException {
        DaemonConfig read = ConfigFile.read(file, DaemonConfig.class);
        return read == null ? defaults() : read;
    }

    private static long atLeast(long min, String key, long value) {
        if (value < min) {
            throw new IllegalArgumentException(key + " must be at least " + min + ", not " + value);
        }
        return value;
    }

    private static void notAbove(String key, long value, String limitName, long limit) {
        if (value > limit) {
            throw new IllegalArgumentException(key + " (" + value + ") must not exceed " + limitName
                    + (limitName.equals(Long.toString(limit)) ? "" : " (" + limit + ")"));
        }
    }

    /** A registry client set up as {@code [registry]}, {@code [resolver]} and {@code [blob]} say. */
    public RegistryClient.Builder registryClient() {
        RegistryClient.Builder builder = RegistryClient.builder()
                .retries(blob.maxRetries() + 1, Duration.ofMillis(blob.minWaitMsec()),
                        Duration.ofMillis(blob.maxWaitMsec()))
                .requestTimeout(Duration.ofSeconds(blob.fetchingTimeoutSec()))
                .rangeTimeout(Duration.ofSeconds(blob.rangeTimeoutSec()))
                .plainHttp(registry.plainHttp().toArray(String[]::new));
        resolver.host().forEach((namespace, host) -> host.mirrors().forEach(m ->
                builder.mirror(namespace, m.host(), m.insecure(), m.headers())));
        if (Files.isDirectory(Path.of(registry.hostsDir()))) {
            builder.hostsDir(Path.of(registry.hostsDir()));
        }
        if (Files.isRegularFile(Path.of(registry.dockerConfig()))) {
            builder.dockerConfig(Path.of(registry.dockerConfig()));
        }
        return builder;
    }

    public DaemonConfig withOverrides(Path root, Path address) {
        return new DaemonConfig(root == null ? this.root : root.toString(),
                address == null ? this.address : address.toString(), allowUnverifiedToc, noPrefetch,
                noBackgroundFetch, prefetchTimeoutSec, registry, cache, blob, fuse, policy, metricsAddress, logFormat,
                resolver, directoryCache, unpack);
    }
}
