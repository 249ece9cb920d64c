package io.lazysnap.systest;

import io.grpc.ManagedChannel;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc;
import io.lazysnap.proto.SocketChannels;
import java.nio.file.Path;
import java.util.Map;

/** lazysnap's snapshots API called directly, for requests containerd would not make on its own. */
final class SnapshotsClient implements AutoCloseable {

    private final ManagedChannel channel;
    private final SnapshotsGrpc.SnapshotsBlockingStub stub;

    SnapshotsClient(Path socket) {
        channel = SocketChannels.open(socket);
        stub = SnapshotsGrpc.newBlockingStub(channel);
    }

    void prepare(String key, Map<String, String> labels) {
        stub.prepare(PrepareSnapshotRequest.newBuilder().setKey(key).putAllLabels(labels).build());
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}
