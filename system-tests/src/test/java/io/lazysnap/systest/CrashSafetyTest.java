package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Processes;
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
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc.SnapshotsBlockingStub;
import io.lazysnap.proto.snapshots.v1.SnapshotsGrpc;
import io.lazysnap.proto.snapshots.v1.ViewSnapshotRequest;
import io.lazysnap.proto.types.Mount;
import io.lazysnap.proto.SocketChannels;
import io.lazysnap.daemon.root.Root;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * kill -9 while clients prepare, commit and remove snapshots and read lazily served files: after each restart every
 * record must have its directories, every mount must point at existing directories, Cleanup must leave exactly one
 * directory per record, and every lazily served file must read back byte for byte. A read during the kill may fail
 * (or wait for the next daemon, when mounts are handed over); it may never return a wrong byte.
 */
class CrashSafetyTest {

    private static final int ROUNDS = 10;
    /** Clients calling at once when the daemon is killed. */
    private static final int CLIENTS = 50;
    /** Of which reading files of the lazily served layers. */
    private static final int READERS = 8;
    private static final int DATA_FILES = 16;
    private static final int DATA_FILE_BYTES = 1 << 20;

    @Test
    void killNineAtRandomMomentsLeavesAConsistentStoreAndNeverAWrongByte() throws Exception {
        Random random = new Random(42);
        try (Stack stack = Stack.start((dir, registry) -> "no_background_fetch = true")) {
            Map<String, byte[]> data = new HashMap<>();
            Path src = Files.createDirectories(stack.dir.resolve("crash-src/data/srv/data"));
            for (int i = 0; i < DATA_FILES; i++) {
                byte[] bytes = new byte[DATA_FILE_BYTES];
                random.nextBytes(bytes);
                Files.write(src.resolve("blob-" + i), bytes);
                data.put("srv/data/blob-" + i, bytes);
            }
            String plain = stack.pushBusyboxWith("crash", stack.dir.resolve("crash-src"), List.of("true"));
            stack.ctrRemoteRpull(stack.ctrRemoteConvert(plain, stack.registry + "/systest/crash:esgz"));
            Path layer = Processes.mountsUnder(stack.lazysnap.root).stream().map(Path::of)
                    .filter(m -> Files.exists(m.resolve("srv/data"))).findFirst().orElseThrow();
            LazysnapProcess daemon = stack.lazysnap;
            Reads reads = new Reads();
            for (int round = 0; round < ROUNDS; round++) {
                AtomicBoolean crashed = new AtomicBoolean();
                AtomicInteger ops = new AtomicInteger();
                List<Thread> workers = new ArrayList<>();
                for (int w = 0; w < CLIENTS; w++) {
                    String prefix = "r" + round + "w" + w + "-";
                    Thread worker = w < READERS
                            ? new Thread(() -> read(layer, data, new Random(prefix.hashCode()), crashed, ops, reads))
                            : new Thread(() -> churn(daemon.socket, prefix, crashed, ops));
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
                daemon.start();
                for (Thread t : workers) {
                    t.join(TimeUnit.SECONDS.toMillis(30));
                }

                assertConsistent(daemon.socket, new Root(daemon.root).snapshots());
                for (Map.Entry<String, byte[]> file : data.entrySet()) {
                    assertArrayEquals(file.getValue(), Files.readAllBytes(layer.resolve(file.getKey())),
                            "round " + round + ": " + file.getKey() + " after the restart");
                }
            }
            assertEquals(0, reads.wrong.get(), "wrong bytes read: " + reads);
            assertTrue(reads.right.get() > 0, "files were read while the daemon was killed: " + reads);
            System.out.println("lazy reads across " + ROUNDS + " kill -9 rounds: " + reads);
            assertOneSqliteLibraryUnderTheRoot(daemon);
        }
    }

    /**
     * The SQLite driver unpacks its JNI library at each start and deletes it only at a clean exit: the daemon has it
     * unpacked under its root, and each start clears what the killed ones left, instead of 1 MiB more in /tmp.
     */
    private static void assertOneSqliteLibraryUnderTheRoot(LazysnapProcess daemon) throws IOException {
        Path dir = new Root(daemon.root).nativeLibraries();
        List<Path> libraries;
        try (Stream<Path> files = Files.list(dir)) {
            libraries = files.filter(f -> f.getFileName().toString().endsWith(".so")).toList();
        }
        assertEquals(1, libraries.size(), "one SQLite library in " + dir + " after " + ROUNDS + " kill -9 rounds: "
                + libraries);
        String maps = Files.readString(Path.of("/proc/" + daemon.pid() + "/maps"));
        assertTrue(maps.contains(libraries.get(0).toString()), "the daemon runs the library in " + dir + ", not "
                + maps.lines().filter(l -> l.contains("sqlite")).findFirst().orElse("none"));
    }

    /** What the readers saw. */
    private record Reads(AtomicLong right, AtomicLong failed, AtomicLong wrong) {
        Reads() {
            this(new AtomicLong(), new AtomicLong(), new AtomicLong());
        }

        @Override
        public String toString() {
            return right + " right, " + failed + " failed (EIO or no daemon), " + wrong + " wrong";
        }
    }

    /** Reads random files of the lazily served layer and compares them with their source until the daemon dies. */
    private static void read(Path layer, Map<String, byte[]> data, Random random, AtomicBoolean crashed,
                             AtomicInteger ops, Reads reads) {
        List<String> names = List.copyOf(data.keySet());
        while (!crashed.get()) {
            String name = names.get(random.nextInt(names.size()));
            try {
                boolean same = Arrays.equals(data.get(name), Files.readAllBytes(layer.resolve(name)));
                (same ? reads.right : reads.wrong).incrementAndGet();
                ops.incrementAndGet();
            } catch (IOException e) {
                reads.failed.incrementAndGet();
            }
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
