package io.lazysnap.daemon.pull;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs, at debug level, each call the daemon makes to containerd with the time it took: with the snapshot calls
 * containerd makes back (logged by the snapshots service), this is where a pull's milliseconds go.
 */
final class CallLog implements ClientInterceptor {

    private static final Logger log = LoggerFactory.getLogger(CallLog.class);

    @Override
    public <Q, A> ClientCall<Q, A> interceptCall(MethodDescriptor<Q, A> method, CallOptions options, Channel next) {
        ClientCall<Q, A> call = next.newCall(method, options);
        if (!log.isDebugEnabled()) {
            return call;
        }
        return new ForwardingClientCall.SimpleForwardingClientCall<>(call) {
            @Override
            public void start(Listener<A> listener, Metadata headers) {
                long started = System.nanoTime();
                super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                    @Override
                    public void onClose(Status status, Metadata trailers) {
                        log.debug("containerd {} answered {} in {} us", method.getFullMethodName(),
                                status.getCode(), (System.nanoTime() - started) / 1000);
                        super.onClose(status, trailers);
                    }
                }, headers);
            }
        };
    }
}
