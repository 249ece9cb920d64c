package io.lazysnap.daemon.snapshot;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UnpackKeyTest {

    @Test
    void recognisesContainerdsUnpackKeys() {
        assertTrue(OverlaySnapshotter.isUnpackKey("default/12/extract-618491226-_rr- sha256:1fc3"));
        assertTrue(OverlaySnapshotter.isUnpackKey("extract-1 sha256:1fc3"));
        assertFalse(OverlaySnapshotter.isUnpackKey("default/13/my-container"));
        assertFalse(OverlaySnapshotter.isUnpackKey("default/13/sha256:abc"));
        assertFalse(OverlaySnapshotter.isUnpackKey("k8s.io/4/extraction-notes"));
    }
}
