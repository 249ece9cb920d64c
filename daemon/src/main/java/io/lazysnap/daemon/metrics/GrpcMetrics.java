package io.lazysnap.daemon.metrics;

import io.grpc.ForwardingServerCall.SimpleForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/** Latency of containerd's calls, by method and gRPC status code, measured from arrival to the status sent. */
final class GrpcMetrics implements ServerInterceptor {

    private final Histogram duration;

    GrpcMetrics(PrometheusRegistry registry) {
        duration = Histogram.builder().name("lazysnap_grpc_request_duration_seconds")
                .help("Snapshots API calls from containerd, by method and status code")
                .labelNames("method", "code").classicOnly().register(registry);
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                      ServerCallHandler<Q, A> next) {
        long start = System.nanoTime();
        String method = call.getMethodDescriptor().getBareMethodName();
        return next.startCall(new SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                duration.labelValues(method, status.getCode().name()).observe(Seconds.since(start));
                super.close(status, trailers);
            }
        }, headers);
    }
}
