package io.lazysnap.daemon.service;

import io.lazysnap.proto.SocketChannels;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lazysnap.proto.snapshots.v1.ListSnapshotsRequest;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.RemoveSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc;
import io.lazysnap.proto.snapshots.v1.StatSnapshotRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Calls the daemon's own snapshots socket before the daemon says it is ready, as containerd will: a Stat, then the
 * Prepare, filtered List and Remove of a snapshot of its own. Proof that the socket answers, and the code of a
 * pull's calls (gRPC on both sides, the metadata store's insert with labels, the snapshot directories, the label and
 * parent filter containerd walks with after each remote layer's ALREADY_EXISTS) loaded and compiled before the
 * first pull needs it: on a 2-core node, the first layer's Prepare otherwise spent 70 ms of its 150 in there, and
 * the first filtered List took 110 ms instead of 3. A few hundred Stats get the per-call code of gRPC and netty,
 * client and server side, compiled by the JIT's first tier: compiling it during the first pull instead competed
 * with containerd and runc for the node's CPUs (the bench's 100 MiB image: rpull + run 629-710 -> 580-604 ms).
 */
public final class SocketSelfCheck {

    static final String KEY = "lazysnap-self-check";
    private static final String SNAPSHOTTER = "lazysnap";
    private static final String LABEL = "lazysnap.io/self-check";
    /** Enough calls for the JIT's first tier to compile gRPC's and netty's per-call code on both sides. */
    private static final int WARM_CALLS = 300;
    private static final int ATTEMPTS = 5;

    private SocketSelfCheck() {
    }

    /** @throws IOException if the socket does not answer the calls as containerd's snapshots API says */
    public static void run(Path socket) throws IOException {
        ManagedChannel channel = SocketChannels.open(socket);
        try {
            for (int attempt = 1; !check(SnapshotsGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS));
                 attempt++) {
                // containerd's garbage collection removes snapshots its metadata does not know, ours included, when
                // it reaches a daemon that just (re)started: check again once it has.
                if (attempt == ATTEMPTS) {
                    throw new IOException("the gRPC socket " + socket + " lost its self-check snapshot " + KEY
                            + " " + ATTEMPTS + " times in a row: something removes snapshots as they are made");
                }
                Thread.sleep(200);
            }
        } catch (StatusRuntimeException e) {
            throw new IOException("the gRPC socket " + socket + " does not answer as expected: " + e.getStatus(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted during the self-check of " + socket, e);
        } finally {
            channel.shutdownNow();
        }
    }

    /** One round of calls; false if the snapshot was removed by someone else meanwhile. */
    private static boolean check(SnapshotsGrpc.SnapshotsBlockingStub stub) throws IOException {
        if (exists(stub)) {
            remove(stub); // left by a daemon killed during its check
        }
        stub.prepare(PrepareSnapshotRequest.newBuilder().setSnapshotter(SNAPSHOTTER).setKey(KEY)
                .putLabels(LABEL, "true").build());
        for (int i = 0; i < WARM_CALLS; i++) {
            if (!exists(stub)) {
                return false;
            }
        }
        if (!listed(stub)) {
            if (exists(stub)) {
                throw new IOException("a filtered List returned nothing, yet the snapshot " + KEY + " exists");
            }
            return false;
        }
        remove(stub);
        return true;
    }

    private static boolean exists(SnapshotsGrpc.SnapshotsBlockingStub stub) {
        try {
            stub.stat(StatSnapshotRequest.newBuilder().setSnapshotter(SNAPSHOTTER).setKey(KEY).build());
            return true;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == Status.Code.NOT_FOUND) {
                return false;
            }
            throw e;
        }
    }

    /**
     * Lists with the filter form containerd uses to find a remote layer: the snapshot just made must come back, or
     * nothing if it was removed meanwhile (false).
     */
    private static boolean listed(SnapshotsGrpc.SnapshotsBlockingStub stub) throws IOException {
        List<String> names = new ArrayList<>();
        stub.list(ListSnapshotsRequest.newBuilder().setSnapshotter(SNAPSHOTTER)
                        .addFilters("labels.\"" + LABEL + "\"==true,parent==\"\"").build())
                .forEachRemaining(batch -> batch.getInfoList().forEach(info -> names.add(info.getName())));
        if (!names.isEmpty() && !names.equals(List.of(KEY))) {
            throw new IOException("a filtered List returned " + names + " instead of the snapshot " + KEY);
        }
        return !names.isEmpty();
    }

    private static void remove(SnapshotsGrpc.SnapshotsBlockingStub stub) {
        try {
            stub.remove(RemoveSnapshotRequest.newBuilder().setSnapshotter(SNAPSHOTTER).setKey(KEY).build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.NOT_FOUND) { // containerd's GC may have been quicker
                throw e;
            }
        }
    }
}
