package io.lazysnap.daemon.pull;

import io.grpc.Status;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Turns gRPC failures from containerd into messages that say what to fix. containerd reports the common set-up
 * mistakes only as codes plus free text, so the text is matched here, in one place.
 */
final class ContainerdErrors {

    private ContainerdErrors() {
    }

    /** A failed call to containerd itself (content, images, leases, diff). */
    static IOException of(String what, Throwable e, Path socket) {
        Status status = Status.fromThrowable(e);
        if (status.getCode() == Status.Code.UNAVAILABLE && status.getCause() != null) {
            return new IOException("cannot connect to containerd at " + socket + ": " + reason(status)
                    + " (is containerd running, and is --address its grpc address?)", e);
        }
        return new IOException(what + ": " + reason(status), e);
    }

    /** A failed call to the snapshots service, which containerd forwards to the snapshotter named in it. */
    static IOException ofSnapshots(String what, Throwable e, Path socket, String snapshotter) {
        Status status = Status.fromThrowable(e);
        String text = String.valueOf(status.getDescription());
        if (text.contains("snapshotter not loaded")) {
            return new IOException("containerd has no snapshotter named '" + snapshotter + "': add"
                    + " [proxy_plugins." + snapshotter + "] with type = \"snapshot\" and address = lazysnap's socket"
                    + " to containerd's config and restart containerd", e);
        }
        if (status.getCode() == Status.Code.NOT_FOUND && text.contains("in backend")) {
            // containerd 1.6 answers a remote ALREADY_EXISTS by listing the snapshotter's committed snapshots
            // for the target label and parent; finding none is the snapshotter's fault, not the image's.
            return new IOException("snapshotter '" + snapshotter + "' reported the layer as already present, but"
                    + " containerd found no committed snapshot labelled containerd.io/snapshot.ref with the expected"
                    + " parent (" + reason(status) + ")", e);
        }
        if (status.getCode() == Status.Code.UNAVAILABLE && status.getCause() == null) {
            return new IOException("containerd cannot reach snapshotter '" + snapshotter + "': " + reason(status)
                    + " (is `lazysnap serve` running on the address in [proxy_plugins." + snapshotter + "]?)", e);
        }
        return of(what, e, socket);
    }

    private static String reason(Status status) {
        String description = status.getDescription();
        if (description == null && status.getCause() != null) {
            description = status.getCause().getMessage();
        }
        return status.getCode() + (description == null ? "" : ": " + description);
    }
}
