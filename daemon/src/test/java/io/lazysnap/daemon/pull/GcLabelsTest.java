package io.lazysnap.daemon.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lazysnap.registry.Descriptor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GcLabelsTest {

    @Test
    void manifestChildrenAreConfigAndNumberedLayers() {
        Map<String, String> labels = GcLabels.children(List.of(
                Descriptor.of("application/vnd.oci.image.config.v1+json", digest(1), 1),
                Descriptor.of("application/vnd.oci.image.layer.v1.tar+gzip", digest(2), 1),
                Descriptor.of("application/vnd.docker.image.rootfs.diff.tar.gzip", digest(3), 1)));
        assertEquals(Map.of(
                "containerd.io/gc.ref.content.config", digest(1),
                "containerd.io/gc.ref.content.l.0", digest(2),
                "containerd.io/gc.ref.content.l.1", digest(3)), labels);
    }

    @Test
    void indexChildrenAreNumberedManifestsAndOtherThingsCountSeparately() {
        Map<String, String> labels = GcLabels.children(List.of(
                Descriptor.of("application/vnd.oci.image.manifest.v1+json", digest(1), 1),
                Descriptor.of("application/vnd.oci.image.index.v1+json", digest(2), 1),
                Descriptor.of("application/vnd.docker.distribution.manifest.v2+json", digest(3), 1)));
        assertEquals(Map.of(
                "containerd.io/gc.ref.content.m.0", digest(1),
                "containerd.io/gc.ref.content.0", digest(2),
                "containerd.io/gc.ref.content.m.1", digest(3)), labels);
    }

    private static String digest(int n) {
        return "sha256:" + String.format("%064x", n);
    }
}
