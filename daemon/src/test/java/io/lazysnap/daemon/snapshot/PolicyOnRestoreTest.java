package io.lazysnap.daemon.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.daemon.root.Root;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A layer served remotely is admitted by the signature policy of its Prepare; after a restart under a changed policy
 * it is admitted again before it is served, and a layer the new policy refuses is not served at all.
 */
class PolicyOnRestoreTest {

    private static final Map<String, String> LABELS = Map.of(
            LayerLabels.TARGET, "chain1",
            LayerLabels.CRI_IMAGE_REF, "registry.test/app:1",
            LayerLabels.CRI_LAYER_DIGEST, "sha256:l1",
            LayerLabels.CRI_MANIFEST_DIGEST, "sha256:m1");

    @TempDir
    Path tmp;
    private final Provider provider = new Provider();

    @Test
    void aChangedPolicyIsAppliedToLayersBeforeTheyAreServedAgain() throws Exception {
        Root root = new Root(tmp.resolve("root"));
        Gate first = new Gate("sha256:first", false);
        try (OverlaySnapshotter sn = open(root, first)) {
            assertEquals(Optional.of("already exists"), prepareLayer(sn));
            assertEquals("sha256:first", sn.stat("chain1").labels().get(LayerLabels.ADMITTED_BY));
        }
        assertEquals(1, first.admitted);

        Gate same = new Gate("sha256:first", true);
        try (OverlaySnapshotter sn = open(root, same)) {
            assertEquals(1, provider.restored.size(), "the same policy: served again, not asked again");
        }
        assertEquals(0, same.admitted);

        Gate refusing = new Gate("sha256:second", true);
        try (OverlaySnapshotter sn = open(root, refusing)) {
            assertEquals(1, refusing.admitted, "asked once, at the start");
            assertEquals(1, provider.restored.size(), "refused: not served");
            SnapshotException e = assertThrows(SnapshotException.class, () -> sn.prepare("c1", "chain1", Map.of()));
            assertTrue(e.getMessage().contains("the signature policy does not admit it"), e.getMessage());
            assertThrows(SnapshotException.class, () -> sn.stat("c1"), "the refused Prepare left nothing behind");
            assertEquals("sha256:first", sn.stat("chain1").labels().get(LayerLabels.ADMITTED_BY));
        }

        Gate admitting = new Gate("sha256:second", false);
        try (OverlaySnapshotter sn = open(root, admitting)) {
            assertEquals(2, provider.restored.size(), "admitted again: served");
            assertEquals("sha256:second", sn.stat("chain1").labels().get(LayerLabels.ADMITTED_BY));
            sn.prepare("c1", "chain1", Map.of());
        }
        assertEquals(1, admitting.admitted);
    }

    private OverlaySnapshotter open(Root root, Gate gate) throws IOException {
        return OverlaySnapshotter.open(root, Optional.of(provider), Optional.empty(), gate);
    }

    private static Optional<String> prepareLayer(OverlaySnapshotter sn) {
        try {
            sn.prepare("extract-1 chain1", "", LABELS);
            return Optional.empty();
        } catch (SnapshotException e) {
            return Optional.of(e.getMessage().contains("already exists") ? "already exists" : e.getMessage());
        }
    }

    /** A policy by fingerprint that admits or refuses everything, counting what it was asked. */
    private static final class Gate implements PrepareGate {
        private final String policy;
        private final boolean refuse;
        int admitted;

        Gate(String policy, boolean refuse) {
            this.policy = policy;
            this.refuse = refuse;
        }

        @Override
        public Optional<LayerLabels> admit(String target, Optional<LayerLabels> layer) {
            admitted++;
            if (refuse) {
                throw SnapshotException.failedPrecondition("image %s is not signed by a trusted key",
                        layer.orElseThrow().imageRef());
            }
            return layer;
        }

        @Override
        public String policy() {
            return policy;
        }
    }

    /** Serves a layer by writing a marker file; restores by noting the directory. */
    private static final class Provider implements RemoteLayerProvider {
        final List<Path> restored = new ArrayList<>();

        @Override
        public Optional<RemoteLayer> open(LayerLabels layer) {
            return Optional.of(snapshotDir -> {
                Files.writeString(snapshotDir.resolve("layer"), layer.layerDigest());
                return () -> { };
            });
        }

        @Override
        public Closeable restore(Path snapshotDir) {
            restored.add(snapshotDir);
            return () -> { };
        }
    }
}
