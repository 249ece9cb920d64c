package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.lazysnap.proto.snapshots.v1.CleanupRequest;
import io.lazysnap.proto.snapshots.v1.CommitSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.Info;
import io.lazysnap.proto.snapshots.v1.Kind;
import io.lazysnap.proto.snapshots.v1.ListSnapshotsRequest;
import io.lazysnap.proto.snapshots.v1.MountsRequest;
import io.lazysnap.proto.snapshots.v1.PrepareSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.RemoveSnapshotRequest;
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc;
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc.SnapshotsBlockingStub;
import io.lazysnap.proto.snapshots.v1.ViewSnapshotRequest;
import io.lazysnap.proto.types.Mount;
import io.lazysnap.server.grpc.SocketChannels;
import io.lazysnap.server.root.Root;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 while clients prepare, commit and remove snapshots: after each restart every record must have its
 * directories, every mount must point at existing directories, and Cleanup must leave exactly one directory per
 * record.
 */
class CrashSafetyTest {

    private static final int ROUNDS = 10;
    /** Clients calling at once when the daemon is killed. */
    private static final int CLIENTS = 50;

    @TempDir
    Path tmp;

    @Test
    void killNineAtRandomMomentsLeavesAConsistentStore() throws Exception {
        Path root = tmp.resolve("root");
        Random random = new Random(42);
        try (LazysnapProcess daemon = new LazysnapProcess(root, tmp.resolve("s.sock"), null, tmp)) {
            daemon.start();
            for (int round = 0; round < ROUNDS; round++) {
                AtomicBoolean crashed = new AtomicBoolean();
                AtomicInteger ops = new AtomicInteger();
                List<Thread> workers = new ArrayList<>();
                for (int w = 0; w < CLIENTS; w++) {
                    String prefix = "r" + round + "w" + w + "-";
                    Thread worker = new Thread(() -> churn(daemon.socket, prefix, crashed, ops));
                    worker.start();
                    workers.add(worker);
                }
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (ops.get() < 3 * CLIENTS && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                assertTrue(ops.get() >= 3 * CLIENTS, "clients made no progress:\n" + daemon.log());
                Thread.sleep(random.nextInt(500));
                daemon.kill9();
                crashed.set(true);
                for (Thread t : workers) {
                    t.join(TimeUnit.SECONDS.toMillis(30));
                }

                daemon.start();
                assertConsistent(daemon.socket, new Root(root).snapshots());
            }
            assertEquals(0, daemon.stop());
        }
    }

    /** Creates chains of snapshots and removes some, until the daemon dies under it. */
    private static void churn(Path socket, String prefix, AtomicBoolean crashed, AtomicInteger ops) {
        ManagedChannel channel = SocketChannels.open(socket);
        SnapshotsBlockingStub stub = SnapshotsGrpc.newBlockingStub(channel);
        try {
            String parent = "";
            for (int i = 0; !crashed.get(); i++) {
                SnapshotsBlockingStub sn = stub.withDeadlineAfter(10, TimeUnit.SECONDS);
                String key = prefix + "a" + i;
                sn.prepare(PrepareSnapshotRequest.newBuilder().setKey(key).setParent(parent).build());
                String name = prefix + "c" + i;
                sn.commit(CommitSnapshotRequest.newBuilder().setKey(key).setName(name).build());
                sn.view(ViewSnapshotRequest.newBuilder().setKey(prefix + "v" + i).setParent(name).build());
                if (i % 3 == 2) {
                    sn.remove(RemoveSnapshotRequest.newBuilder().setKey(prefix + "v" + i).build());
                }
                parent = i % 5 == 4 ? "" : name;
                ops.addAndGet(3);
            }
        } catch (StatusRuntimeException expectedOnceKilled) {
            // The daemon was killed mid-call: exactly the situation under test.
        } finally {
            channel.shutdownNow();
        }
    }

    private static void assertConsistent(Path socket, Path snapshotsDir) throws Exception {
        ManagedChannel channel = SocketChannels.open(socket);
        try {
            SnapshotsBlockingStub sn = SnapshotsGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS);
            List<Info> infos = new ArrayList<>();
            sn.list(ListSnapshotsRequest.getDefaultInstance()).forEachRemaining(r -> infos.addAll(r.getInfoList()));
            assertTrue(infos.size() > 0, "the round created snapshots before the kill");
            for (Info info : infos) {
                if (info.getKind() == Kind.COMMITTED) {
                    continue;
                }
                for (Mount m : sn.mounts(MountsRequest.newBuilder().setKey(info.getName()).build()).getMountsList()) {
                    for (Path dir : directoriesOf(m)) {
                        assertTrue(Files.isDirectory(dir), info.getName() + " mounts missing " + dir);
                    }
                }
            }
            sn.cleanup(CleanupRequest.getDefaultInstance());
            try (Stream<Path> dirs = Files.list(snapshotsDir)) {
                assertEquals(infos.size(), dirs.count(), "one directory per snapshot record after cleanup");
            }
        } finally {
            channel.shutdownNow();
        }
    }

    private static List<Path> directoriesOf(Mount m) {
        List<Path> dirs = new ArrayList<>();
        if (m.getType().equals("bind")) {
            dirs.add(Path.of(m.getSource()));
        }
        for (String option : m.getOptionsList()) {
            int eq = option.indexOf('=');
            if (eq > 0 && option.substring(0, eq).endsWith("dir")) {
                for (String d : option.substring(eq + 1).split(":")) {
                    dirs.add(Path.of(d));
                }
            }
        }
        return dirs;
    }
}
