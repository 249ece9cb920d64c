package io.lazysnap.daemon.metrics;

import io.lazysnap.registry.RegistryListener;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** Every HTTP exchange with a registry or mirror, the bytes it brought, and the retries and mirror fall-backs. */
final class RegistryMetrics implements RegistryListener {

    private final Histogram exchanges;
    private final Counter retries;
    private final Counter fallbacks;
    private final Counter received;

    RegistryMetrics(PrometheusRegistry registry) {
        exchanges = Histogram.builder().name("lazysnap_registry_request_duration_seconds")
                .help("HTTP exchanges with registries by host, method and status (206: range read; 0: no answer)")
                .labelNames("host", "method", "code").classicOnly().register(registry);
        retries = Counter.builder().name("lazysnap_registry_retries_total")
                .help("Registry requests retried after a transient failure").labelNames("host").register(registry);
        fallbacks = Counter.builder().name("lazysnap_registry_fallbacks_total")
                .help("Times a host (usually a mirror) failed and the next configured host was tried")
                .labelNames("host").register(registry);
        received = Counter.builder().name("lazysnap_registry_received_bytes_total")
                .help("Body bytes received from registries, mirrors and blob storage, by host")
                .labelNames("host").register(registry);
    }

    @Override
    public void exchanged(String host, String method, int status, long nanos) {
        exchanges.labelValues(host, method, Integer.toString(status)).observe(Seconds.of(nanos));
    }

    @Override
    public void received(String host, long bytes) {
        received.labelValues(host).inc(bytes);
    }

    @Override
    public void retrying(String host, String what, int attempt, String cause) {
        retries.labelValues(host).inc();
    }

    @Override
    public void fellBack(String host, String what, String cause) {
        fallbacks.labelValues(host).inc();
    }
}
