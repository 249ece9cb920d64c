package io.lazysnap.daemon.testsuite;

import com.google.protobuf.FieldMask;
import io.grpc.ManagedChannel;
import io.lazysnap.proto.snapshots.v1.CleanupRequest;
import io.lazysnap.proto.snapshots.v1.CommitSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.Info;
import io.lazysnap.proto.snapshots.v1.ListSnapshotsRequest;
import io.lazysnap.proto.snapshots.v1.MountsRequest;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.RemoveSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc;
import io.lazysnap.proto.snapshots.v1.StatSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.UpdateSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.UsageRequest;
import io.lazysnap.proto.snapshots.v1.UsageResponse;
import io.lazysnap.proto.snapshots.v1.ViewSnapshotRequest;
import io.lazysnap.proto.types.Mount;
import io.lazysnap.proto.SocketChannels;
import io.lazysnap.daemon.snapshot.MountSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** The snapshots API as containerd's proxy client calls it, through a real unix socket. */
final class RemoteSnapshotter implements AutoCloseable {

    static final String NAME = "lazysnap";

    private final ManagedChannel channel;
    private final SnapshotsGrpc.SnapshotsBlockingStub stub;

    RemoteSnapshotter(Path socket) {
        this.channel = SocketChannels.open(socket);
        this.stub = SnapshotsGrpc.newBlockingStub(channel).withWaitForReady();
    }

    List<MountSpec> prepare(String key, String parent, Map<String, String> labels) {
        return specs(stub.prepare(PrepareSnapshotRequest.newBuilder().setSnapshotter(NAME).setKey(key)
                .setParent(parent).putAllLabels(labels).build()).getMountsList());
    }

    List<MountSpec> view(String key, String parent, Map<String, String> labels) {
        return specs(stub.view(ViewSnapshotRequest.newBuilder().setSnapshotter(NAME).setKey(key)
                .setParent(parent).putAllLabels(labels).build()).getMountsList());
    }

    List<MountSpec> mounts(String key) {
        return specs(stub.mounts(MountsRequest.newBuilder().setSnapshotter(NAME).setKey(key).build()).getMountsList());
    }

    void commit(String name, String key, Map<String, String> labels) {
        stub.commit(CommitSnapshotRequest.newBuilder().setSnapshotter(NAME).setName(name).setKey(key)
                .putAllLabels(labels).build());
    }

    void commitWithParent(String name, String key, String parent) {
        stub.commit(CommitSnapshotRequest.newBuilder().setSnapshotter(NAME).setName(name).setKey(key)
                .setParent(parent).build());
    }

    void remove(String key) {
        stub.remove(RemoveSnapshotRequest.newBuilder().setSnapshotter(NAME).setKey(key).build());
    }

    Info stat(String key) {
        return stub.stat(StatSnapshotRequest.newBuilder().setSnapshotter(NAME).setKey(key).build()).getInfo();
    }

    Info update(Info info, String... paths) {
        UpdateSnapshotRequest.Builder req = UpdateSnapshotRequest.newBuilder().setSnapshotter(NAME).setInfo(info);
        if (paths.length > 0) {
            req.setUpdateMask(FieldMask.newBuilder().addAllPaths(List.of(paths)));
        }
        return stub.update(req.build()).getInfo();
    }

    List<Info> list(String... filters) {
        List<Info> all = new ArrayList<>();
        stub.list(ListSnapshotsRequest.newBuilder().setSnapshotter(NAME).addAllFilters(List.of(filters)).build())
                .forEachRemaining(batch -> all.addAll(batch.getInfoList()));
        return all;
    }

    UsageResponse usage(String key) {
        return stub.usage(UsageRequest.newBuilder().setSnapshotter(NAME).setKey(key).build());
    }

    void cleanup() {
        stub.cleanup(CleanupRequest.newBuilder().setSnapshotter(NAME).build());
    }

    private static List<MountSpec> specs(List<Mount> mounts) {
        return mounts.stream().map(m -> new MountSpec(m.getType(), m.getSource(), m.getOptionsList())).toList();
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
}
