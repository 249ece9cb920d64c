package io.lazysnap.daemon.service;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lazysnap.daemon.snapshot.SnapshotException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Maps failures to the gRPC status codes containerd's errdefs turns back into its error classes. */
final class GrpcErrors {

    private static final Logger log = LoggerFactory.getLogger(GrpcErrors.class);

    private GrpcErrors() {
    }

    static StatusRuntimeException toStatus(String method, Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            return s;
        }
        if (t instanceof SnapshotException e) {
            Status status = switch (e.reason()) {
                case NOT_FOUND -> Status.NOT_FOUND;
                case ALREADY_EXISTS -> Status.ALREADY_EXISTS;
                case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
                case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
            };
            log.debug("{}: {}", method, e.getMessage());
            return status.withDescription(e.getMessage()).asRuntimeException();
        }
        log.error("{} failed", method, t);
        return Status.INTERNAL.withDescription(method + ": " + t).withCause(t).asRuntimeException();
    }
}
