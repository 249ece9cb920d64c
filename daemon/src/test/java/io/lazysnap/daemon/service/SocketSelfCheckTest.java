package io.lazysnap.daemon.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Empty;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import io.lazysnap.proto.snapshots.v1.Info;
import io.lazysnap.proto.snapshots.v1.ListSnapshotsRequest;
import io.lazysnap.proto.snapshots.v1.ListSnapshotsResponse;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotResponse;
import io.lazysnap.proto.snapshots.v1.RemoveSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc;
import io.lazysnap.proto.snapshots.v1.StatSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.StatSnapshotResponse;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-up self-check against a socket where something else removes snapshots, as containerd's GC does. */
class SocketSelfCheckTest {

    @TempDir
    Path tmp;

    @Test
    void aSnapshotRemovedByContainerdsGarbageCollectionIsMadeAgain() throws Exception {
        Snapshots snapshots = new Snapshots(2);
        try (SocketServer server = SocketServer.start(tmp.resolve("s.sock"), snapshots)) {
            SocketSelfCheck.run(tmp.resolve("s.sock"));
        }
        assertEquals(3, snapshots.prepares.get(), "checked again after each of the two removals");
        assertTrue(snapshots.all.isEmpty(), "the self-check snapshot is gone at the end");
    }

    @Test
    void aSocketThatKeepsLosingItsSnapshotsFailsTheStart() throws Exception {
        Snapshots snapshots = new Snapshots(Integer.MAX_VALUE);
        try (SocketServer server = SocketServer.start(tmp.resolve("s.sock"), snapshots)) {
            IOException e = assertThrows(IOException.class, () -> SocketSelfCheck.run(tmp.resolve("s.sock")));
            assertTrue(e.getMessage().contains("lost its self-check snapshot"), e.getMessage());
        }
    }

    /** Snapshots in memory; the first {@code sweeps} prepared snapshots vanish after a few Stats. */
    private static final class Snapshots extends SnapshotsGrpc.SnapshotsImplBase {
        final Map<String, Info> all = new ConcurrentHashMap<>();
        final AtomicInteger prepares = new AtomicInteger();
        private final AtomicInteger stats = new AtomicInteger();
        private final int sweeps;

        Snapshots(int sweeps) {
            this.sweeps = sweeps;
        }

        @Override
        public void prepare(PrepareSnapshotRequest request, StreamObserver<PrepareSnapshotResponse> response) {
            prepares.incrementAndGet();
            stats.set(0);
            all.put(request.getKey(), Info.newBuilder().setName(request.getKey()).putAllLabels(request.getLabelsMap())
                    .build());
            response.onNext(PrepareSnapshotResponse.getDefaultInstance());
            response.onCompleted();
        }

        @Override
        public void stat(StatSnapshotRequest request, StreamObserver<StatSnapshotResponse> response) {
            if (stats.incrementAndGet() == 10 && prepares.get() <= sweeps) {
                all.remove(request.getKey()); // the garbage collector's sweep
            }
            Info info = all.get(request.getKey());
            if (info == null) {
                response.onError(Status.NOT_FOUND.withDescription("no " + request.getKey()).asRuntimeException());
                return;
            }
            response.onNext(StatSnapshotResponse.newBuilder().setInfo(info).build());
            response.onCompleted();
        }

        @Override
        public void list(ListSnapshotsRequest request, StreamObserver<ListSnapshotsResponse> response) {
            response.onNext(ListSnapshotsResponse.newBuilder().addAllInfo(all.values()).build());
            response.onCompleted();
        }

        @Override
        public void remove(RemoveSnapshotRequest request, StreamObserver<Empty> response) {
            if (all.remove(request.getKey()) == null) {
                response.onError(Status.NOT_FOUND.asRuntimeException());
                return;
            }
            response.onNext(Empty.getDefaultInstance());
            response.onCompleted();
        }
    }
}
