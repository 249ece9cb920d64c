package io.lazysnap.daemon.testsuite;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.lazysnap.proto.snapshots.v1.Info;
import io.lazysnap.proto.snapshots.v1.Kind;
import io.lazysnap.daemon.Daemon;
import io.lazysnap.daemon.DaemonConfig;
import io.lazysnap.daemon.mount.Mounter;
import io.lazysnap.daemon.snapshot.LayerLabels;
import io.lazysnap.daemon.snapshot.MountSpec;
import io.lazysnap.daemon.snapshot.RemoteLayerProvider;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The remote-snapshot protocol as containerd drives it, with an in-process provider that "serves" a layer by
 * writing its files: Prepare with {@code containerd.io/snapshot.ref} commits the target and answers
 * ALREADY_EXISTS; layers the provider declines fall back to a normal active snapshot.
 */
class RemoteSnapshotTest {

    @TempDir
    Path tmp;
    private final FakeProvider provider = new FakeProvider();
    private Daemon daemon;
    private RemoteSnapshotter sn;

    @BeforeEach
    void start() throws IOException {
        restart();
    }

    @AfterEach
    void stop() throws Exception {
        sn.close();
        daemon.close();
    }

    private void restart() throws IOException {
        if (daemon != null) {
            daemon.close();
        }
        daemon = Daemon.start(DaemonConfig.at(tmp.resolve("root"), tmp.resolve("s.sock")),
                Optional.of(provider));
        sn = new RemoteSnapshotter(tmp.resolve("s.sock"));
    }

    private static Map<String, String> layerLabels(String chainId, String layer) {
        return Map.of("containerd.io/snapshot.ref", chainId,
                "containerd.io/snapshot/cri.image-ref", "registry.test/app:1",
                "containerd.io/snapshot/cri.layer-digest", layer,
                "containerd.io/gc.root", "x");
    }

    @Test
    void servedLayersAreCommittedUnderTheTargetAndAnswerAlreadyExists() throws IOException {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> sn.prepare("extract-1 chain1", "", layerLabels("chain1", "sha256:l1")));
        assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode());
        Info chain1 = sn.stat("chain1");
        assertEquals(Kind.COMMITTED, chain1.getKind());
        assertEquals("remote snapshot", chain1.getLabelsMap().get("containerd.io/snapshot/remote"));
        assertEquals(Status.Code.NOT_FOUND,
                assertThrows(StatusRuntimeException.class, () -> sn.stat("extract-1 chain1")).getStatus().getCode(),
                "no active snapshot is left behind");

        assertThrows(StatusRuntimeException.class,
                () -> sn.prepare("extract-2 chain2", "chain1", layerLabels("chain2", "sha256:l2")));
        assertEquals("chain1", sn.stat("chain2").getParent());

        Path rootfs = Files.createDirectories(tmp.resolve("rootfs"));
        List<MountSpec> mounts = sn.prepare("container", "chain2", Map.of());
        TestMounts.mountAll(mounts, rootfs);
        try {
            assertEquals("sha256:l1", Files.readString(rootfs.resolve("sha256_l1")));
            assertEquals("sha256:l2", Files.readString(rootfs.resolve("sha256_l2")));
        } finally {
            Mounter.unmount(rootfs);
        }

        assertEquals(Status.Code.ALREADY_EXISTS, assertThrows(StatusRuntimeException.class,
                () -> sn.prepare("extract-3 chain1", "", layerLabels("chain1", "sha256:l1"))).getStatus().getCode(),
                "an existing target answers ALREADY_EXISTS without mounting again");
        assertEquals(2, provider.mounted.size());
    }

    @Test
    void aPrepareAnswersOnceTheLayerIsReadyWithoutHoldingUpOtherCalls() throws Exception {
        provider.ready = new CountDownLatch(1);
        CompletableFuture<StatusRuntimeException> prepare = CompletableFuture.supplyAsync(() -> assertThrows(
                StatusRuntimeException.class, () -> sn.prepare("e1", "", layerLabels("chain1", "sha256:l1"))));
        assertTrue(provider.waiting.await(30, TimeUnit.SECONDS));
        assertEquals(Kind.COMMITTED, sn.stat("chain1").getKind(), "the store is not locked while it waits");
        assertFalse(prepare.isDone());
        provider.ready.countDown();
        assertEquals(Status.Code.ALREADY_EXISTS, prepare.get(30, TimeUnit.SECONDS).getStatus().getCode());
    }

    @Test
    void otherCallsGoOnWhileALayerIsBeingMountedAndSnapshotsOnTopWaitForIt() throws Exception {
        assertThrows(StatusRuntimeException.class, () -> sn.prepare("e0", "", layerLabels("chain0", "sha256:l0")));
        provider.mountGate = new CountDownLatch(1);
        CompletableFuture<StatusRuntimeException> prepare = CompletableFuture.supplyAsync(() -> assertThrows(
                StatusRuntimeException.class, () -> sn.prepare("e1", "chain0", layerLabels("chain1", "sha256:l1"))));
        assertTrue(provider.mounting.await(30, TimeUnit.SECONDS));
        // Before, the mount held the store's one lock: every Prepare, Commit and Remove waited for it (up to the
        // mount's timeout when FUSE hangs).
        assertEquals(Kind.COMMITTED, CompletableFuture.supplyAsync(() -> sn.stat("chain0"))
                .get(10, TimeUnit.SECONDS).getKind());
        CompletableFuture.runAsync(() -> {
            sn.prepare("unrelated", "chain0", Map.of());
            sn.commit("unrelated-layer", "unrelated", Map.of());
            sn.remove("unrelated-layer");
        }).get(10, TimeUnit.SECONDS);
        CompletableFuture<List<MountSpec>> onTop = CompletableFuture.supplyAsync(() -> sn.view("v1", "chain1",
                Map.of()));
        Thread.sleep(300);
        assertFalse(onTop.isDone(), "a view of the layer being mounted answers once it is mounted");
        assertFalse(prepare.isDone());
        provider.mountGate.countDown();
        assertEquals(Status.Code.ALREADY_EXISTS, prepare.get(30, TimeUnit.SECONDS).getStatus().getCode());
        List<MountSpec> view = onTop.get(30, TimeUnit.SECONDS);
        String lowerdir = view.get(0).options().stream().filter(o -> o.startsWith("lowerdir=")).findFirst()
                .orElseThrow();
        Path top = Path.of(lowerdir.substring("lowerdir=".length()).split(":")[0]);
        assertTrue(Files.exists(top.resolve("sha256_l1")), "the view's top layer is mounted: " + view);
        assertEquals(Kind.COMMITTED, sn.stat("chain1").getKind());
    }

    @Test
    void aSnapshotOnTopOfALayerWhoseMountFailsFailsWithTheReasonAndNeverSeesAnEmptyLayer() throws Exception {
        provider.mountGate = new CountDownLatch(1);
        provider.failMount = true;
        CompletableFuture<List<MountSpec>> prepare = CompletableFuture.supplyAsync(
                () -> sn.prepare("extract-1 chain1", "", layerLabels("chain1", "sha256:l1")));
        assertTrue(provider.mounting.await(30, TimeUnit.SECONDS));
        CompletableFuture<List<MountSpec>> onTop = CompletableFuture.supplyAsync(() -> sn.view("v1", "chain1",
                Map.of()));
        Thread.sleep(300);
        provider.mountGate.countDown();
        assertEquals(1, prepare.get(30, TimeUnit.SECONDS).size(), "the layer falls back to a download");
        Throwable failed = assertThrows(Exception.class, () -> onTop.get(30, TimeUnit.SECONDS)).getCause();
        assertTrue(failed instanceof StatusRuntimeException sre
                && sre.getStatus().getCode() == Status.Code.FAILED_PRECONDITION
                && sre.getStatus().getDescription().contains("fusermount: permission denied"), String.valueOf(failed));
        assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class, () -> sn.stat("v1"))
                .getStatus().getCode(), "the view that failed left nothing");
        // Whether the unmounted layer went with its record or stayed for want of a race, nothing mounts over it.
        StatusRuntimeException later = assertThrows(StatusRuntimeException.class, () -> sn.view("v2", "chain1",
                Map.of()));
        assertTrue(later.getStatus().getCode() == Status.Code.NOT_FOUND
                || later.getStatus().getCode() == Status.Code.FAILED_PRECONDITION, later.toString());
    }

    @Test
    void aRemoteLayerRecordedButNeverMountedIsRemovedAtTheNextStart() throws Exception {
        assertThrows(StatusRuntimeException.class, () -> sn.prepare("e1", "", layerLabels("chain1", "sha256:l1")));
        Path snapshot = provider.mounted.get(0);
        // As if the daemon had died after recording the layer, before its mount saved the layer's state.
        Files.delete(snapshot.resolve("layer"));
        sn.close();
        restart();
        assertEquals(Status.Code.NOT_FOUND, assertThrows(StatusRuntimeException.class, () -> sn.stat("chain1"))
                .getStatus().getCode());
        assertFalse(Files.exists(snapshot), "its directory went with it");
        assertEquals(Status.Code.ALREADY_EXISTS, assertThrows(StatusRuntimeException.class,
                () -> sn.prepare("e2", "", layerLabels("chain1", "sha256:l1"))).getStatus().getCode(),
                "and the next Prepare mounts it afresh");
    }

    @Test
    void declinedOrFailingLayersFallBackToADownload() {
        provider.decline = true;
        List<MountSpec> mounts = sn.prepare("extract-1 chain1", "", layerLabels("chain1", "sha256:l1"));
        assertEquals(1, mounts.size());
        assertEquals(Kind.ACTIVE, sn.stat("extract-1 chain1").getKind());
        sn.commit("chain1", "extract-1 chain1", Map.of());

        provider.decline = false;
        provider.fail = true;
        sn.prepare("extract-2 chain2", "chain1", layerLabels("chain2", "sha256:l2"));
        assertEquals(Kind.ACTIVE, sn.stat("extract-2 chain2").getKind());

        provider.fail = false;
        provider.failMount = true;
        sn.prepare("extract-3 chain3", "chain1", layerLabels("chain3", "sha256:l3"));
        assertEquals(Kind.ACTIVE, sn.stat("extract-3 chain3").getKind());
        provider.failMount = false;
        provider.failMountUnchecked = true;
        sn.prepare("extract-4 chain4", "chain1", layerLabels("chain4", "sha256:l4"));
        assertEquals(Kind.ACTIVE, sn.stat("extract-4 chain4").getKind(), "an unchecked failure falls back too");
        assertTrue(provider.closed.isEmpty());
        assertEquals(List.of("chain1", "extract-2 chain2", "extract-3 chain3", "extract-4 chain4"),
                sn.list().stream().map(Info::getName).sorted().toList(), "a failed mount leaves no record");
    }

    @Test
    void theSameChainOnAnotherParentIsAnotherLayer() {
        sn.prepare("base-a", "", Map.of());
        sn.commit("downloaded-base", "base-a", Map.of());
        assertThrows(StatusRuntimeException.class, () -> sn.prepare("e1", "", layerLabels("chain1", "sha256:l1")));
        assertEquals(Status.Code.ALREADY_EXISTS, assertThrows(StatusRuntimeException.class,
                () -> sn.prepare("e2", "downloaded-base", layerLabels("chain1", "sha256:l1"))).getStatus().getCode());
        List<Info> chain1 = sn.list("labels.\"containerd.io/snapshot.ref\"==chain1,parent==downloaded-base");
        assertEquals(1, chain1.size(), "containerd finds the layer by label and parent, whatever its name");
        assertEquals(2, provider.mounted.size());
    }

    @Test
    void removeUnmountsAndRestartRestores() throws Exception {
        assertThrows(StatusRuntimeException.class, () -> sn.prepare("e1", "", layerLabels("chain1", "sha256:l1")));
        assertThrows(StatusRuntimeException.class, () -> sn.prepare("e2", "", layerLabels("other", "sha256:l9")));
        sn.remove("other");
        assertEquals(1, provider.closed.size(), "removing a remote layer unmounts it");
        assertEquals(provider.closed, provider.removed, "and lets the provider drop its cached data");

        sn.close();
        restart();
        assertEquals(2, provider.closed.size(), "a clean stop unmounts remote layers");
        assertEquals(1, provider.removed.size(), "but keeps their cached data");
        assertEquals(1, provider.restored.size(), "every remote layer left is mounted again at start");
        assertEquals(Kind.COMMITTED, sn.stat("chain1").getKind());
    }

    /** Serves a layer by writing one file named after it into the snapshot's fs directory. */
    private static final class FakeProvider implements RemoteLayerProvider {
        final List<Path> mounted = new ArrayList<>();
        final List<Path> restored = new ArrayList<>();
        final List<Path> closed = new ArrayList<>();
        final List<Path> removed = new ArrayList<>();
        final CountDownLatch waiting = new CountDownLatch(1);
        volatile CountDownLatch ready = new CountDownLatch(0);
        final CountDownLatch mounting = new CountDownLatch(1);
        volatile CountDownLatch mountGate = new CountDownLatch(0);
        volatile boolean decline;
        volatile boolean fail;
        volatile boolean failMount;
        volatile boolean failMountUnchecked;

        @Override
        public Optional<RemoteLayer> open(LayerLabels labels) throws IOException {
            if (fail) {
                throw new IOException("registry unreachable");
            }
            if (decline) {
                return Optional.empty();
            }
            String layer = labels.layerDigest();
            return Optional.of(new RemoteLayer() {
                @Override
                public Closeable mount(Path snapshotDir) throws IOException {
                    mounting.countDown();
                    try {
                        mountGate.await();
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                    if (failMount) {
                        throw new IOException("fusermount: permission denied");
                    }
                    if (failMountUnchecked) {
                        throw new IllegalStateException("FUSE session ended before INIT");
                    }
                    Files.writeString(snapshotDir.resolve("fs").resolve(layer.replace(':', '_')), layer);
                    Files.writeString(snapshotDir.resolve("layer"), layer);
                    mounted.add(snapshotDir);
                    return handle(snapshotDir);
                }

                @Override
                public void awaitReady() throws InterruptedException {
                    waiting.countDown();
                    ready.await();
                }
            });
        }

        @Override
        public void removed(Path snapshotDir) {
            assertTrue(Files.exists(snapshotDir.resolve("layer")), "state files are still there");
            assertTrue(closed.contains(snapshotDir), "unmounted first");
            removed.add(snapshotDir);
        }

        @Override
        public Closeable restore(Path snapshotDir) throws IOException {
            if (!Files.exists(snapshotDir.resolve("layer"))) {
                throw new NoSuchFileException(snapshotDir.resolve("layer").toString());
            }
            restored.add(snapshotDir);
            return handle(snapshotDir);
        }

        private Closeable handle(Path snapshotDir) {
            return () -> closed.add(snapshotDir);
        }
    }
}
