package io.lazysnap.daemon.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotResponse;
import io.lazysnap.daemon.snapshot.Snapshotter;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class SnapshotsServiceErrorsTest {

    @Test
    void anErrorInTheSnapshotterReachesContainerdAsInternalNamingTheCause() {
        Snapshotter broken = (Snapshotter) Proxy.newProxyInstance(Snapshotter.class.getClassLoader(),
                new Class<?>[] {Snapshotter.class}, (proxy, method, args) -> {
                    throw new UnsatisfiedLinkError("libfuse.so.2: cannot open shared object file");
                });
        AtomicReference<Throwable> error = new AtomicReference<>();
        new SnapshotsService(broken).prepare(PrepareSnapshotRequest.newBuilder().setKey("k").build(),
                new StreamObserver<PrepareSnapshotResponse>() {
                    @Override
                    public void onNext(PrepareSnapshotResponse value) {
                        throw new AssertionError("no response expected");
                    }

                    @Override
                    public void onError(Throwable t) {
                        error.set(t);
                    }

                    @Override
                    public void onCompleted() {
                        throw new AssertionError("no completion expected");
                    }
                });
        StatusRuntimeException status = (StatusRuntimeException) error.get();
        assertEquals(Status.Code.INTERNAL, status.getStatus().getCode());
        assertTrue(status.getStatus().getDescription().contains("libfuse.so.2"), status.getStatus().getDescription());
    }
}
