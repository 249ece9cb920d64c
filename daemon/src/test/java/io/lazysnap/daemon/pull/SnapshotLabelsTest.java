package io.lazysnap.daemon.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.registry.Descriptor;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SnapshotLabelsTest {

    private static final String GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    private static final String REF = "registry.example.com/app:v1";
    private static final String MANIFEST = digest(99);

    @Test
    void namesTheLayerInBothFamiliesAndInheritsSnapshotAnnotations() {
        List<Descriptor> layers = List.of(
                Descriptor.of(GZIP, digest(0), 10).withAnnotations(Map.of(
                        "containerd.io/snapshot/stargz/toc.digest", digest(50),
                        "io.containers.estargz.uncompressed-size", "1234")),
                Descriptor.of(GZIP, digest(1), 20),
                Descriptor.of(GZIP, digest(2), 30));

        Map<String, String> labels = SnapshotLabels.forLayer(REF, MANIFEST, layers, 0, "sha256:chain0");

        assertEquals(Map.ofEntries(
                Map.entry("containerd.io/snapshot.ref", "sha256:chain0"),
                Map.entry("containerd.io/snapshot/stargz/toc.digest", digest(50)),
                Map.entry("containerd.io/snapshot/remote/stargz.reference", REF),
                Map.entry("containerd.io/snapshot/remote/stargz.digest", digest(0)),
                Map.entry("containerd.io/snapshot/remote/stargz.layers", digest(0) + "," + digest(1) + "," + digest(2)),
                Map.entry("containerd.io/snapshot/cri.image-ref", REF),
                Map.entry("containerd.io/snapshot/cri.layer-digest", digest(0)),
                Map.entry("containerd.io/snapshot/cri.image-layers", digest(0) + "," + digest(1) + "," + digest(2)),
                Map.entry("containerd.io/snapshot/cri.manifest-digest", MANIFEST)), labels);
    }

    @Test
    void laterLayersListThemselvesAndTheLayersAbove() {
        List<Descriptor> layers = List.of(Descriptor.of(GZIP, digest(0), 1), Descriptor.of(GZIP, digest(1), 1),
                Descriptor.of(GZIP, digest(2), 1));
        Map<String, String> labels = SnapshotLabels.forLayer(REF, MANIFEST, layers, 1, "sha256:chain1");
        assertEquals(digest(1) + "," + digest(2), labels.get("containerd.io/snapshot/cri.image-layers"));
        assertFalse(labels.containsKey("containerd.io/snapshot/remote/urls"), "no urls, no label");
    }

    @Test
    void layerListsStopAtContainerdsLabelLimit() {
        List<Descriptor> layers = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            layers.add(Descriptor.of(GZIP, digest(i), 1));
        }
        Map<String, String> labels = SnapshotLabels.forLayer(REF, MANIFEST, layers, 0, "sha256:c");
        for (String key : List.of("containerd.io/snapshot/cri.image-layers",
                "containerd.io/snapshot/remote/stargz.layers")) {
            String value = labels.get(key);
            int size = (key + value).getBytes(StandardCharsets.UTF_8).length;
            assertTrue(size <= 4096, key + " is " + size + " bytes");
            // 71 bytes per digest: as many whole digests as fit, in order, none cut.
            int expected = (4096 - key.length() + 1) / 72;
            assertEquals(expected, value.split(",").length, key);
            assertTrue(value.startsWith(digest(0) + "," + digest(1)), key);
            assertTrue(value.matches("(sha256:[0-9a-f]{64},)*sha256:[0-9a-f]{64}"), key);
        }
    }

    @Test
    void joinKeepsWhatFitsExactly() {
        String key = "k".repeat(4096 - 7);
        assertEquals("aaa,bbb", SnapshotLabels.joinWithinLimit(key, List.of("aaa", "bbb", "c")));
        assertEquals("", SnapshotLabels.joinWithinLimit("k".repeat(4096), List.of("a")));
    }

    private static String digest(int n) {
        return "sha256:" + String.format("%064x", n);
    }
}
