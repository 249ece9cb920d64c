package io.lazysnap.daemon.metrics;

import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP endpoint Prometheus scrapes: {@code /metrics} (and {@code /-/healthy}) on a TCP address. */
public final class MetricsEndpoint implements Closeable {

    private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);

    private final HTTPServer server;

    private MetricsEndpoint(HTTPServer server) {
        this.server = server;
    }

    static MetricsEndpoint start(String address, PrometheusRegistry registry) throws IOException {
        int colon = address.lastIndexOf(':');
        if (colon < 0) {
            throw new IOException("metrics_address " + address + ": expected host:port, e.g. 127.0.0.1:9099");
        }
        String host = address.substring(0, colon).replaceAll("^\\[|]$", "");
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IOException("metrics_address " + address + ": the port is not a number");
        }
        HTTPServer server;
        try {
            server = HTTPServer.builder().hostname(host.isEmpty() ? "0.0.0.0" : host).port(port).registry(registry)
                    .buildAndStart();
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException("metrics_address " + address + ": cannot listen: " + e.getMessage(), e);
        }
        log.info("metrics on http://{}:{}/metrics", host.isEmpty() ? "0.0.0.0" : host, server.getPort());
        return new MetricsEndpoint(server);
    }

    public int port() {
        return server.getPort();
    }

    @Override
    public void close() {
        server.close();
    }
}
