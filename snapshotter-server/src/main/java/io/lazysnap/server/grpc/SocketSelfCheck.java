package io.lazysnap.server.grpc;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc;
import io.lazysnap.proto.snapshots.v1.StatSnapshotRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * Calls the daemon's own snapshots socket once, as containerd will, before the daemon says it is ready: proof
 * that the socket answers, and the gRPC client stack (the one {@code rpull} uses to talk to containerd) loaded
 * and linked before the first pull needs it, which on a 2-core node is a quarter of a second off that pull.
 */
public final class SocketSelfCheck {

    private static final String KEY = "lazysnap-self-check";

    private SocketSelfCheck() {
    }

    /** @throws IOException if the socket does not answer a Stat of a missing snapshot with NOT_FOUND */
    public static void run(Path socket) throws IOException {
        ManagedChannel channel = SocketChannels.open(socket);
        try {
            SnapshotsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS)
                    .stat(StatSnapshotRequest.newBuilder().setSnapshotter("lazysnap").setKey(KEY).build());
            throw new IOException("snapshot " + KEY + " exists on " + socket + "; expected none");
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
                throw new IOException("the gRPC socket " + socket + " does not answer as expected: " + e.getStatus(), e);
            }
        } finally {
            channel.shutdownNow();
        }
    }
}
