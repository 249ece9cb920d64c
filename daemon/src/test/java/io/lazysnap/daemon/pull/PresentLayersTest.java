package io.lazysnap.daemon.pull;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PresentLayersTest {

    /** Probes against a node holding the bottom {@code held} of the layers, recording which were asked about. */
    private static final class Node implements PresentLayers.Probe {
        final int held;
        final List<Integer> asked = new ArrayList<>();

        Node(int held) {
            this.held = held;
        }

        @Override
        public boolean present(int index) {
            asked.add(index);
            return index < held;
        }
    }

    @Test
    void everyBoundaryIsFoundForEveryImageSize() throws IOException {
        for (int layers = 0; layers <= 40; layers++) {
            for (int held = 0; held <= layers; held++) {
                Node node = new Node(held);
                assertEquals(held, PresentLayers.count(layers, node), layers + " layers, " + held + " held");
                int bound = 2 + 32 - Integer.numberOfLeadingZeros(Math.max(1, layers));
                assertTrue(node.asked.size() <= bound, layers + " layers, " + held + " held: asked " + node.asked);
            }
        }
    }

    @Test
    void aColdNodeIsAskedOnceAndAWarmOneTwice() throws IOException {
        Node cold = new Node(0);
        assertEquals(0, PresentLayers.count(12, cold));
        assertEquals(List.of(0), cold.asked, "the bottom layer missing: none of the image is there");
        Node warm = new Node(12);
        assertEquals(12, PresentLayers.count(12, warm));
        assertEquals(List.of(0, 11), warm.asked, "the top layer present: all of the image is there");
    }
}
