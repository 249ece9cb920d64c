package io.lazysnap.daemon;

import io.grpc.ServerInterceptors;
import io.lazysnap.fs.ChunkCache;
import io.lazysnap.fs.ConnectionStore;
import io.lazysnap.fs.LayerFs;
import io.lazysnap.fs.LayerFsOptions;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.daemon.control.ControlServer;
import io.lazysnap.daemon.control.ControlSocket;
import io.lazysnap.daemon.status.HandoverStatus;
import io.lazysnap.daemon.status.LayerStatsFiles;
import io.lazysnap.daemon.gate.SignatureGate;
import io.lazysnap.daemon.service.SnapshotsService;
import io.lazysnap.daemon.service.SocketSelfCheck;
import io.lazysnap.daemon.service.SocketServer;
import io.lazysnap.daemon.logging.PullLog;
import io.lazysnap.daemon.metrics.Metrics;
import io.lazysnap.daemon.metrics.MetricsEndpoint;
import io.lazysnap.daemon.pull.LayerDownloads;
import io.lazysnap.daemon.pull.PullService;
import io.lazysnap.daemon.remote.HostPlatform;
import io.lazysnap.daemon.remote.Manifests;
import io.lazysnap.daemon.remote.RegistryLayerProvider;
import io.lazysnap.daemon.remote.RegistryLayerUnpacker;
import io.lazysnap.daemon.remote.ConscryptLibrary;
import io.lazysnap.daemon.remote.RegistryWarmUp;
import io.lazysnap.daemon.remote.WholePullPolicy;
import io.lazysnap.daemon.snapshot.LayerUnpacker;
import io.lazysnap.daemon.snapshot.OverlaySnapshotter;
import io.lazysnap.daemon.snapshot.PrepareGate;
import io.lazysnap.daemon.snapshot.RemoteLayerProvider;
import io.lazysnap.daemon.snapshot.Snapshotter;
import io.lazysnap.daemon.unpack.FetchPool;
import io.lazysnap.daemon.unpack.UnpackSelfTest;
import io.lazysnap.verifier.Policy;
import io.lazysnap.verifier.PolicyException;
import io.lazysnap.verifier.Verifier;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The composition root: a snapshotter behind containerd's snapshots API on a unix socket. */
public final class Daemon implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Daemon.class);
    /** Layers waiting to be opened ahead of their Prepare. */
    private static final int OPEN_AHEAD_QUEUE = 256;
    /** Layers downloaded and unpacked at once; their range requests share [unpack] connections. */
    private static final int UNPACKS = 4;

    private final Snapshotter snapshotter;
    private final SocketServer server;
    private final Optional<ControlServer> control;
    private final Optional<MetricsEndpoint> metricsEndpoint;
    private final List<Closeable> resources;
    /** How long a stop waits for reads in flight before leaving the mounts to the next daemon; empty: unmount. */
    private volatile Optional<Duration> handOver = Optional.empty();

    private Daemon(Snapshotter snapshotter, SocketServer server, Optional<ControlServer> control,
                   Optional<MetricsEndpoint> metricsEndpoint, List<Closeable> resources) {
        this.snapshotter = snapshotter;
        this.server = server;
        this.control = control;
        this.metricsEndpoint = metricsEndpoint;
        this.resources = resources;
    }

    /**
     * Starts the product: eStargz layers are served lazily from their registries through FUSE, others are stored
     * as plain snapshots. Returns once calls are accepted.
     */
    public static Daemon start(DaemonConfig config) throws IOException {
        List<Closeable> resources = locked(config);
        Metrics metrics = new Metrics();
        Optional<LazyLayers> lazy;
        PrepareGate gate;
        Optional<RegistryLayerUnpacker> unpacker;
        PullService pulls;
        try {
            RegistryClient registry = registryClient(config, metrics).build();
            resources.add(registry);
            Manifests manifests = new Manifests(registry, HostPlatform.get());
            Optional<FuseSupport.Problem> noFuse = FuseSupport.check().or(() -> FuseSupport.selfTest(
                    config.rootDir().fuseSelfTest()));
            noFuse.ifPresent(p -> log.warn("lazy pulling is OFF: {}; every layer will be downloaded by containerd"
                    + " until this is fixed and lazysnap restarted (fix: {})", p.what(), p.fix()));
            DaemonConfig.Unpack unpack = config.unpack();
            boolean unpacks = unpack.enabled() && unpackSelfTest(config);
            WholePullPolicy wholePull = unpacks ? new WholePullPolicy(unpack.wholePullPrefetchShare(),
                    (long) unpack.chunkSize() * unpack.connectionsPerLayer()) : WholePullPolicy.never();
            lazy = noFuse.isPresent() ? Optional.empty()
                    : Optional.of(lazyLayers(config, registry, manifests, metrics, wholePull, resources));
            gate = gate(config, registry, manifests, metrics);
            unpacker = unpacks ? Optional.of(unpacker(config, registry, manifests, lazy.isPresent(), wholePull,
                    resources)) : Optional.empty();
            pulls = new PullService(registry, () -> registryClient(config, metrics),
                    Set.copyOf(config.registry().plainHttp()), new PullAhead(manifests, gate,
                            (image, manifest, layers) -> lazy.ifPresent(l -> l.provider().openAhead(image, manifest)),
                            (image, manifest, layers) -> unpacker.ifPresent(u -> u.ahead(image, manifest, layers))),
                    unpacker.<LayerDownloads>map(u -> u::downloaded).orElse(LayerDownloads.NONE));
        } catch (IOException | RuntimeException e) {
            closeAll(resources);
            throw e;
        }
        boolean unpacks = unpacker.isPresent();
        Daemon daemon = start(config, lazy.map(LazyLayers::provider), unpacker.map(u -> u), gate, metrics, resources,
                lazy.<ToLongFunction<String>>map(l -> l.mounter()::fetchedBytes).orElse(layer -> 0),
                Optional.of(pulls), () -> {
                    registryWarmUp(config, unpacks);
                    pulls.warmUp();
                });
        Optional<ConnectionStore> store = lazy.flatMap(LazyLayers::connections);
        store.ifPresent(s -> {
            s.discardUnclaimed(); // every snapshot that has a mount has claimed it by now
            daemon.handOver = Optional.of(Duration.ofSeconds(config.fuse().drainTimeout()));
            log.info("mounts survive this daemon: their FUSE connections are kept by {} ({} taken over now)",
                    s.describe(), s.handOvers());
        });
        try {
            new HandoverStatus(store.map(ConnectionStore::describe).orElse("off"),
                    store.map(s -> s.adopted().stream().map(Path::toString).toList()).orElse(List.of()))
                    .write(config.rootDir());
        } catch (IOException e) {
            log.warn("cannot record the mounts taken over for lazysnap ls: {}", e.toString());
        }
        return daemon;
    }

    /** What serves layers lazily: the registry provider, the FUSE mounter behind it, where mounts outlive us. */
    private record LazyLayers(RegistryLayerProvider provider, FuseLayerMounter mounter,
                              Optional<ConnectionStore> connections) {
    }

    private static LazyLayers lazyLayers(DaemonConfig config, RegistryClient registry, Manifests manifests,
                                         Metrics metrics, WholePullPolicy wholePull, List<Closeable> resources)
            throws IOException {
        // Bounded: layers beyond the queue (pulls of many large images at once) are opened by their own Prepare.
        ExecutorService opener = new ThreadPoolExecutor(4, 4, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(OPEN_AHEAD_QUEUE), r -> {
                    Thread t = new Thread(r, "layer-opener");
                    t.setDaemon(true);
                    return t;
                });
        resources.add(opener::shutdownNow);
        // No queue: a Prepare whose early read finds no thread makes that read after its manifest, as before.
        ExecutorService earlyReads = new ThreadPoolExecutor(0, 4, 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> {
                    Thread t = new Thread(r, "layer-early-read");
                    t.setDaemon(true);
                    return t;
                });
        resources.add(earlyReads::shutdownNow);
        ChunkCache cache = ChunkCache.builder().memoryBytes(config.cache().memoryBytes())
                .disk(Files.createDirectories(config.rootDir().cache()), config.cache().diskHighBytes(),
                        config.cache().diskLowBytes())
                .diskUsagePercent(config.cache().diskHighPercent(), config.cache().diskLowPercent())
                .build();
        metrics.watch(cache);
        Optional<ConnectionStore> connections = connectionStore(config);
        connections.ifPresent(store -> {
            metrics.watch(store);
            resources.add(store);
        });
        // One retry policy: the registry client retries each request ([blob] max_retries) within its deadline
        // ([blob] range_timeout_sec), so a read does not multiply those retries by tries of its own.
        LayerFsOptions fsOptions = LayerFsOptions.builder(cache).fetchAttempts(1, Duration.ZERO)
                .prefetch(!config.noPrefetch())
                .backgroundFetch(!config.noBackgroundFetch())
                .attrTimeout(Duration.ofSeconds(config.fuse().attrTimeout()))
                .entryTimeout(Duration.ofSeconds(config.fuse().entryTimeout()))
                .treeMemory(config.fuse().tocMemory(), Duration.ofSeconds(config.fuse().tocIdleSec()))
                .operationTimer(metrics.fuseOperations()).connections(connections.orElse(null)).build();
        metrics.watch(fsOptions);
        LayerStatsFiles statsFiles = new LayerStatsFiles(config.rootDir());
        resources.add(statsFiles);
        FuseLayerMounter mounter = new FuseLayerMounter(cache, fsOptions,
                Duration.ofSeconds(config.prefetchTimeoutSec()), metrics, statsFiles);
        return new LazyLayers(new RegistryLayerProvider(registry, manifests, mounter, config.allowUnverifiedToc(),
                wholePull, opener, earlyReads), mounter, connections);
    }

    /** Whether this node can unpack layers in the form overlayfs reads; says why not, if not. */
    private static boolean unpackSelfTest(DaemonConfig config) {
        long start = System.nanoTime();
        Optional<String> cannot = UnpackSelfTest.run(config.rootDir().unpackSelfTest());
        if (cannot.isPresent()) {
            log.warn("lazysnap does not download and unpack layers itself: a test layer could not be unpacked ({});"
                    + " containerd unpacks them (fix: run lazysnap as root, with its root directory on a file system"
                    + " that supports trusted.* attributes and device nodes, such as ext4 or xfs)", cannot.get());
            return false;
        }
        log.info("unpack self-test passed in {} ms", (System.nanoTime() - start) / 1_000_000);
        return true;
    }

    /** Runs the registry path's code once, so that the first pull does not pay for its first run. */
    private static void registryWarmUp(DaemonConfig config, boolean unpacks) {
        long start = System.nanoTime();
        Optional<String> failed = RegistryWarmUp.run(HostPlatform.get(), config.rootDir().registryWarmUp(), unpacks);
        if (failed.isPresent()) {
            log.warn("a test pull from a registry lazysnap serves itself on 127.0.0.1 failed ({}); lazysnap goes on,"
                    + " but if pulls from real registries fail as well, report this line", failed.get());
            return;
        }
        log.info("registry warm-up pulled a test image in {} ms", (System.nanoTime() - start) / 1_000_000);
    }

    /**
     * What downloads and unpacks the layers that are not served lazily ({@code [unpack]}), in parallel: all of them
     * when nothing is served lazily, and eStargz layers {@code wholePull} chooses.
     */
    private static RegistryLayerUnpacker unpacker(DaemonConfig config, RegistryClient registry, Manifests manifests,
                                                  boolean lazy, WholePullPolicy wholePull,
                                                  List<Closeable> resources) throws IOException {
        DaemonConfig.Unpack unpack = config.unpack();
        FetchPool pool = new FetchPool(unpack.connections());
        resources.add(pool);
        ExecutorService unpackers = new ThreadPoolExecutor(UNPACKS, UNPACKS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "layer-unpack");
                    t.setDaemon(true);
                    return t;
                });
        ((ThreadPoolExecutor) unpackers).allowCoreThreadTimeOut(true);
        resources.add(unpackers::shutdownNow);
        boolean allowUnverifiedToc = config.allowUnverifiedToc();
        return new RegistryLayerUnpacker(registry, manifests,
                layer -> lazy && RegistryLayerProvider.servesLazily(layer, allowUnverifiedToc)
                        && !wholePull.chosen(layer.digest()), pool,
                unpack.chunkSize(), unpack.connectionsPerLayer(),
                config.rootDir().unpack(), unpackers);
    }

    /** Where mounts keep their FUSE connections; none (mounts end with the daemon) if it cannot be had. */
    private static Optional<ConnectionStore> connectionStore(DaemonConfig config) {
        try {
            return ConnectionStore.open(config.fuse().handoverMode(), config.rootDir().handover(),
                    Duration.ofSeconds(config.fuse().handoverTimeout()));
        } catch (IOException | RuntimeException e) {
            log.warn("mounts will NOT survive a restart of this daemon: cannot keep FUSE connections ({}); fix it,"
                    + " or set [fuse] handover = \"off\" to silence this", e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * Starts with another remote layer provider (or none: plain snapshots only); remote layers committed before are
     * mounted again before the socket accepts calls.
     */
    public static Daemon start(DaemonConfig config, Optional<RemoteLayerProvider> remote) throws IOException {
        return start(config, remote, Optional.empty(), PrepareGate.OPEN, new Metrics(), locked(config), layer -> 0,
                Optional.empty(), () -> { });
    }

    /** Resources that start with the root's lock: before anything, even the chunk cache, touches the root. */
    private static List<Closeable> locked(DaemonConfig config) throws IOException {
        List<Closeable> resources = new ArrayList<>();
        resources.add(config.rootDir().tryLock().orElseThrow(() -> new IOException(
                "another lazysnap serves " + config.root() + " (it holds " + config.rootDir().lockFile() + ")")));
        try {
            ConscryptLibrary.loadUnder(config.rootDir().nativeLibraries());
        } catch (IOException | RuntimeException e) {
            closeAll(resources);
            throw e;
        }
        return resources;
    }

    /** Closes {@code resources} if it fails. */
    private static Daemon start(DaemonConfig config, Optional<RemoteLayerProvider> remote,
                                Optional<LayerUnpacker> unpacker, PrepareGate gate,
                                Metrics metrics, List<Closeable> resources, ToLongFunction<String> fetchedBytes,
                                Optional<ControlServer.PullHandler> pulls, Runnable warmUp) throws IOException {
        Optional<MetricsEndpoint> endpoint = Optional.empty();
        Snapshotter snapshotter;
        try {
            if (config.metricsAddress() != null) {
                endpoint = Optional.of(metrics.serve(config.metricsAddress()));
                resources.add(endpoint.get());
            }
            snapshotter = new PullLog(OverlaySnapshotter.open(config.rootDir(), remote, unpacker, gate), fetchedBytes);
            metrics.watch(snapshotter);
        } catch (IOException | RuntimeException e) {
            closeAll(resources);
            throw e;
        }
        SocketServer server = null;
        try {
            // Once the mounts a previous daemon left are served again (opening the snapshotter took them over), so
            // that their readers do not wait for it.
            warmUp.run();
            SnapshotsService service = new SnapshotsService(snapshotter);
            Path address = Path.of(config.address());
            server = SocketServer.start(address, () -> ServerInterceptors.intercept(service, metrics.grpcCalls()));
            SocketSelfCheck.run(address);
            Optional<ControlServer> control = pulls.isEmpty() ? Optional.empty()
                    : Optional.of(ControlServer.start(ControlSocket.of(address), pulls.get()));
            // The start-up's warm-up and self-checks left the young generation nearly full: collected now, once,
            // before the daemon says it is ready, the first pull does not stop halfway for a collection (10-16 ms of
            // each of the bench's 1 Gbit/s pulls). A call that comes in meanwhile waits for this one pause (~30 ms).
            System.gc();
            log.info("lazysnap ready: root={} address={}", config.root(), config.address());
            return new Daemon(snapshotter, server, control, endpoint, resources);
        } catch (IOException | RuntimeException e) {
            if (server != null) {
                server.close();
            }
            snapshotter.close();
            closeAll(resources);
            throw e;
        }
    }

    /** The port Prometheus scrapes, when {@code metrics_address} is set. */
    public Optional<Integer> metricsPort() {
        return metricsEndpoint.map(MetricsEndpoint::port);
    }

    /** The signature gate of the configured policy; an invalid policy stops the daemon from starting. */
    private static PrepareGate gate(DaemonConfig config, RegistryClient registry, Manifests manifests,
                                    Metrics metrics) throws IOException {
        if (config.policy() == null) {
            log.warn("no signature policy configured (policy = \"...\"): images are NOT verified before they are"
                    + " mounted or unpacked; production nodes should enforce one");
            return PrepareGate.OPEN;
        }
        Policy policy;
        try {
            policy = Policy.load(Path.of(config.policy()));
        } catch (PolicyException e) {
            throw new IOException("signature policy " + e.getMessage(), e);
        }
        log.info("signature policy {}: {}", config.policy(), policy);
        return new SignatureGate(Verifier.builder(policy, registry).build(), manifests, metrics.verdicts());
    }

    private static RegistryClient.Builder registryClient(DaemonConfig config, Metrics metrics) {
        return config.registryClient().userAgent("lazysnap/0.1.0").listener(metrics.registryExchanges());
    }

    /**
     * The stop of a service manager's stop or restart: as {@link #close()}, but lazily served layers whose FUSE
     * connections are kept stay mounted for the next daemon, once their reads in flight are answered; requests
     * that arrive meanwhile wait in the kernel.
     */
    public void closeForRestart() {
        close(true);
    }

    /**
     * Graceful stop: no new calls, running calls finish, then layers are unmounted and the store closed (busy
     * mounts are detached and end with this process).
     */
    @Override
    public void close() {
        close(false);
    }

    private void close(boolean leaveMounts) {
        control.ifPresent(ControlServer::close);
        server.close();
        if (leaveMounts) {
            handOver.ifPresent(drain -> {
                LayerFs.handOverAll(drain);
                log.info("lazily served layers stay mounted for the next daemon");
            });
        }
        snapshotter.close();
        closeAll(resources);
        resources.clear();
        log.info("lazysnap stopped");
    }

    private static void closeAll(List<Closeable> resources) {
        for (Closeable c : resources) {
            try {
                c.close();
            } catch (IOException | RuntimeException e) {
                log.warn("closing {}: {}", c, e.toString());
            }
        }
    }
}
