package io.lazysnap.daemon.service;

import com.google.protobuf.Empty;
import io.grpc.stub.StreamObserver;
import io.lazysnap.proto.snapshots.v1.CleanupRequest;
import io.lazysnap.proto.snapshots.v1.CommitSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.Info;
import io.lazysnap.proto.snapshots.v1.ListSnapshotsRequest;
import io.lazysnap.proto.snapshots.v1.ListSnapshotsResponse;
import io.lazysnap.proto.snapshots.v1.MountsRequest;
import io.lazysnap.proto.snapshots.v1.MountsResponse;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotResponse;
import io.lazysnap.proto.snapshots.v1.RemoveSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc;
import io.lazysnap.proto.snapshots.v1.StatSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.StatSnapshotResponse;
import io.lazysnap.proto.snapshots.v1.UpdateSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.UpdateSnapshotResponse;
import io.lazysnap.proto.snapshots.v1.UsageRequest;
import io.lazysnap.proto.snapshots.v1.UsageResponse;
import io.lazysnap.proto.snapshots.v1.ViewSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.ViewSnapshotResponse;
import io.lazysnap.daemon.snapshot.InfoFilter;
import io.lazysnap.daemon.snapshot.SnapshotException;
import io.lazysnap.daemon.snapshot.SnapshotInfo;
import io.lazysnap.daemon.snapshot.Snapshotter;
import io.lazysnap.daemon.snapshot.Usage;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** containerd's snapshots service v1 over a {@link Snapshotter}: message mapping and error codes only. */
public final class SnapshotsService extends SnapshotsGrpc.SnapshotsImplBase {

    private static final Logger log = LoggerFactory.getLogger(SnapshotsService.class);
    /** containerd's own service sends List results in batches of this many. */
    private static final int LIST_BATCH = 100;

    private final Snapshotter snapshotter;

    public SnapshotsService(Snapshotter snapshotter) {
        this.snapshotter = snapshotter;
    }

    @Override
    public void prepare(PrepareSnapshotRequest req, StreamObserver<PrepareSnapshotResponse> out) {
        log.debug("prepare key={} parent={} labels={}", req.getKey(), req.getParent(), req.getLabelsMap());
        unary("Prepare", out, () -> PrepareSnapshotResponse.newBuilder().addAllMounts(Protos.mounts(
                snapshotter.prepare(req.getKey(), req.getParent(), req.getLabelsMap()))).build());
    }

    @Override
    public void view(ViewSnapshotRequest req, StreamObserver<ViewSnapshotResponse> out) {
        log.debug("view key={} parent={}", req.getKey(), req.getParent());
        unary("View", out, () -> ViewSnapshotResponse.newBuilder().addAllMounts(Protos.mounts(
                snapshotter.view(req.getKey(), req.getParent(), req.getLabelsMap()))).build());
    }

    @Override
    public void mounts(MountsRequest req, StreamObserver<MountsResponse> out) {
        unary("Mounts", out, () -> MountsResponse.newBuilder()
                .addAllMounts(Protos.mounts(snapshotter.mounts(req.getKey()))).build());
    }

    @Override
    public void commit(CommitSnapshotRequest req, StreamObserver<Empty> out) {
        log.debug("commit key={} name={}", req.getKey(), req.getName());
        unary("Commit", out, () -> {
            if (!req.getParent().isEmpty() && !req.getParent().equals(snapshotter.stat(req.getKey()).parent())) {
                throw SnapshotException.invalidArgument(
                        "commit %s with parent %s: rebasing onto another parent is not supported",
                        req.getKey(), req.getParent());
            }
            snapshotter.commit(req.getName(), req.getKey(), req.getLabelsMap());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void remove(RemoveSnapshotRequest req, StreamObserver<Empty> out) {
        log.debug("remove key={}", req.getKey());
        unary("Remove", out, () -> {
            snapshotter.remove(req.getKey());
            return Empty.getDefaultInstance();
        });
    }

    @Override
    public void stat(StatSnapshotRequest req, StreamObserver<StatSnapshotResponse> out) {
        // The start-up self-check's few hundred warm-up Stats are not timed one by one in a debug log.
        unary("Stat", out, () -> StatSnapshotResponse.newBuilder()
                .setInfo(Protos.info(snapshotter.stat(req.getKey()))).build(), !SocketSelfCheck.KEY.equals(req.getKey()));
    }

    @Override
    public void update(UpdateSnapshotRequest req, StreamObserver<UpdateSnapshotResponse> out) {
        unary("Update", out, () -> {
            SnapshotInfo updated = snapshotter.update(Protos.updateRequest(req.getInfo()),
                    req.hasUpdateMask() ? req.getUpdateMask().getPathsList() : List.of());
            return UpdateSnapshotResponse.newBuilder().setInfo(Protos.info(updated)).build();
        });
    }

    @Override
    public void list(ListSnapshotsRequest req, StreamObserver<ListSnapshotsResponse> out) {
        long start = System.nanoTime();
        try {
            List<Info> batch = new ArrayList<>(LIST_BATCH);
            snapshotter.walk(InfoFilter.anyOf(req.getFiltersList()), info -> {
                batch.add(Protos.info(info));
                if (batch.size() == LIST_BATCH) {
                    out.onNext(ListSnapshotsResponse.newBuilder().addAllInfo(batch).build());
                    batch.clear();
                }
            });
            if (!batch.isEmpty()) {
                out.onNext(ListSnapshotsResponse.newBuilder().addAllInfo(batch).build());
            }
            out.onCompleted();
            logAnswered("List", start);
        } catch (VirtualMachineError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            out.onError(GrpcErrors.toStatus("List", e));
        }
    }

    @Override
    public void usage(UsageRequest req, StreamObserver<UsageResponse> out) {
        unary("Usage", out, () -> {
            Usage usage = snapshotter.usage(req.getKey());
            return UsageResponse.newBuilder().setSize(usage.size()).setInodes(usage.inodes()).build();
        });
    }

    @Override
    public void cleanup(CleanupRequest req, StreamObserver<Empty> out) {
        unary("Cleanup", out, () -> {
            snapshotter.cleanup();
            return Empty.getDefaultInstance();
        });
    }

    private static <T> void unary(String method, StreamObserver<T> out, Supplier<T> call) {
        unary(method, out, call, true);
    }

    private static <T> void unary(String method, StreamObserver<T> out, Supplier<T> call, boolean timed) {
        long start = System.nanoTime();
        T response;
        try {
            response = call.get();
        } catch (VirtualMachineError e) {
            throw e;
        } catch (RuntimeException | Error e) {
            // Errors too (a missing native library, a class that failed to initialise): an uncaught one would reach
            // containerd as UNKNOWN "Application error processing RPC", naming nothing.
            out.onError(GrpcErrors.toStatus(method, e));
            if (timed) {
                logAnswered(method, start);
            }
            return;
        }
        out.onNext(response);
        out.onCompleted();
        if (timed) {
            logAnswered(method, start);
        }
    }

    /** How long each call took, for reading a pull's timeline against containerd's (debug only). */
    private static void logAnswered(String method, long start) {
        if (log.isDebugEnabled()) {
            log.debug("{} answered in {} us", method, (System.nanoTime() - start) / 1000);
        }
    }
}
