package io.lazysnap.daemon.metrics;

import io.grpc.ServerInterceptor;
import io.lazysnap.estargz.BlobSource;
import io.lazysnap.fs.ChunkCache;
import io.lazysnap.fs.ConnectionStore;
import io.lazysnap.fs.LayerFsOptions;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.lazysnap.fs.MountedLayer;
import io.lazysnap.fs.OperationTimer;
import io.lazysnap.registry.RegistryListener;
import io.lazysnap.daemon.snapshot.Snapshotter;
import io.lazysnap.verifier.Verdict;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * The daemon's Prometheus metrics: one registry per daemon, and the hooks that feed it from each stage of a
 * layer's way in (gRPC calls, registry exchanges, range reads, chunk caches, FUSE operations, mounts, snapshots,
 * signature verdicts). The hooks
 * are cheap enough to stay on whether or not an endpoint serves them.
 */
public final class Metrics {

    private final PrometheusRegistry registry = new PrometheusRegistry();
    private final GrpcMetrics grpc = new GrpcMetrics(registry);
    private final RegistryMetrics registryExchanges = new RegistryMetrics(registry);
    private final LayerMetrics layers = new LayerMetrics(registry);
    private final VerdictMetrics verdicts = new VerdictMetrics(registry);
    private final FuseMetrics fuse = new FuseMetrics(registry);

    /** Times every gRPC call by method and status code. */
    public ServerInterceptor grpcCalls() {
        return grpc;
    }

    /** Counts and times registry exchanges by host, method and status (range reads answer 206). */
    public RegistryListener registryExchanges() {
        return registryExchanges;
    }

    /** Counts the bytes and times the range reads a mounted layer makes through {@code blob}. */
    public BlobSource countReads(String layerDigest, BlobSource blob) {
        return layers.countReads(layerDigest, blob);
    }

    /** Follows a mounted layer's cache hits, fetches and progress until the returned handle unmounts it. */
    public Closeable track(MountedLayer layer) {
        return layers.track(layer);
    }

    /** Times the FUSE operations of mounted layers. */
    public OperationTimer fuseOperations() {
        return fuse;
    }

    /** Reports the snapshots the root holds. */
    public void watch(Snapshotter snapshotter) {
        SnapshotMetrics.register(registry, snapshotter);
    }

    /** Reports what the chunk cache holds. */
    public void watch(ChunkCache cache) {
        CacheMetrics.register(registry, cache);
    }

    /** Reports the heap that the TOCs of layers served with {@code layers} take. */
    public void watch(LayerFsOptions layers) {
        TocMetrics.register(registry, layers);
    }

    /** Counts the mounts taken over from an earlier daemon through {@code store}. */
    public void watch(ConnectionStore store) {
        CounterWithCallback.builder().name("lazysnap_fuse_handovers_total")
                .help("FUSE mounts this daemon took over, still mounted, from the daemon before it")
                .callback(cb -> cb.call(store.handOvers())).register(registry);
    }

    /** Counts the signature gate's verdicts by outcome and deciding rule. */
    public Consumer<Verdict> verdicts() {
        return verdicts;
    }

    /** Serves {@code /metrics} on {@code host:port} (port 0: any free port). */
    public MetricsEndpoint serve(String address) throws IOException {
        // Only with an endpoint: the JVM's metrics load JMX and some 500 classes a daemon without one never needs.
        JvmMetrics.builder().register(registry);
        return MetricsEndpoint.start(address, registry);
    }
}
