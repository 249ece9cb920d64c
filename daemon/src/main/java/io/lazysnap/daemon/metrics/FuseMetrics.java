package io.lazysnap.daemon.metrics;

import io.lazysnap.fs.OperationTimer;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** Latency of the FUSE operations of every mounted layer, by operation (the kernel's view of a lazy layer). */
final class FuseMetrics implements OperationTimer {

    private final Histogram duration;

    FuseMetrics(PrometheusRegistry registry) {
        // From 10 µs: a cached getattr takes microseconds, a read that waits for the registry can take seconds.
        duration = Histogram.builder().name("lazysnap_fuse_operation_duration_seconds")
                .help("FUSE operations of mounted layers, by operation (getattr is also the lookup)")
                .labelNames("operation").classicOnly()
                .classicUpperBounds(.00001, .00005, .0001, .0005, .001, .005, .01, .05, .1, .5, 1, 5, 10)
                .register(registry);
    }

    @Override
    public void completed(String operation, long nanos) {
        duration.labelValues(operation).observe(Seconds.of(nanos));
    }
}
