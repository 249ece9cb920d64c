package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.estargz.RecordingBlob;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Mounted layers' TOCs and inode tables stay within their heap budget: an idle layer's tree is dropped for another
 * and opened again at its next use, serving the same bytes under the same inode numbers; a tree in use is never
 * dropped, and a layer that does not fit beside the trees in use is not admitted.
 */
class LayerTreeTest {

    private static final int CHUNK = 64 << 10;

    @TempDir
    Path tmp;

    @Test
    void anIdleLayersTreeIsDroppedForAnotherAndOpenedAgainWithTheSameInodes() throws Exception {
        SourceLayer source = SourceLayer.standard(CHUNK);
        SourceLayer.Blob blob = source.estargz(CHUNK);
        ExpectedTree expected = ExpectedTree.of(source.tar());
        // No room for more than one tree, and every tree idle at once; the kernel keeps no names or attributes, so
        // every path and stat reaches the layer's tree.
        LayerFsOptions options = LayerFsOptions.builder(ChunkCache.builder().build()).backgroundFetch(false)
                .entryTimeout(Duration.ZERO).attrTimeout(Duration.ZERO).treeMemory(0, Duration.ZERO).build();
        AtomicInteger reopens = new AtomicInteger();
        LayerReopener reopener = () -> {
            reopens.incrementAndGet();
            return EstargzLayer.open(new RecordingBlob(blob.bytes()), blob.annotations());
        };
        try (TestMounts mounts = new TestMounts(tmp)) {
            MountedLayer first = mount(mounts, blob, reopener, options);
            Map<String, Object> inodes = inodes(expected, first.mountpoint());
            MountedLayer second = mount(mounts, blob, reopener, options);
            assertEquals(0, reopens.get(), "a tree is opened again only when it is used");

            for (int round = 1; round <= 2; round++) {
                for (MountedLayer m : new MountedLayer[] {first, second}) {
                    int before = reopens.get();
                    assertEquals(inodes, inodes(expected, m.mountpoint()), "inode numbers follow the TOC");
                    for (ExpectedTree.Node n : expected.nodes.values()) {
                        if (n.type() == 'f') {
                            assertArrayEquals(n.content(), Files.readAllBytes(m.mountpoint().resolve(n.path())),
                                    n.path());
                        }
                    }
                    assertEquals(before + 1, reopens.get(), "the other layer's use dropped this one's tree");
                    assertEquals(0, m.stats().readErrors());
                }
            }
        }
    }

    @Test
    void treesInUseAreKeptAndALayerThatDoesNotFitBesideThemIsNotAdmitted() throws Exception {
        EstargzLayer layer = InodeTableTest.layer(new SourceLayer().dir("bin/", 0755).file("bin/sh", new byte[3], 0755));
        long entries = layer.toc().entries().size();
        TreeBudget budget = new TreeBudget(entries * LayerTree.BYTES_PER_ENTRY * 3 / 2, Duration.ofHours(1));
        LayerTree used = new LayerTree("sha256:used", layer, () -> layer, budget);
        used.mounted();
        assertFalse(budget.admits(entries), "the tree in use stays: there is no room for a second");
        assertNotNull(used.ifLoaded());

        TreeBudget idleAtOnce = new TreeBudget(entries * LayerTree.BYTES_PER_ENTRY * 3 / 2, Duration.ZERO);
        LayerTree notMounted = new LayerTree("sha256:prefetching", layer, () -> layer, idleAtOnce);
        assertFalse(idleAtOnce.admits(entries), "a layer not yet mounted is about to be used: kept");
        notMounted.mounted();
        Thread.sleep(1);
        notMounted.pin();
        assertFalse(idleAtOnce.admits(entries), "a tree whose chunks are being fetched stays");
        notMounted.unpin();
        assertTrue(idleAtOnce.admits(entries), "an idle mounted layer's tree makes room");
        assertNull(notMounted.ifLoaded());
        assertEquals(0, idleAtOnce.stats().bytes());
        LayerTree fetching = new LayerTree("sha256:fetching", layer, () -> layer, idleAtOnce);
        fetching.mounted();
        fetching.pin();
        Thread.sleep(1);
        assertFalse(notMounted.pinIfItFits(), "a dropped tree is not opened again for fetching while the trees in"
                + " use fill the budget");
        fetching.unpin();
        Thread.sleep(1);
        assertTrue(notMounted.pinIfItFits(), "once they are idle, it is");
        assertNull(fetching.ifLoaded());
        assertEquals(entries * LayerTree.BYTES_PER_ENTRY, idleAtOnce.stats().bytes(), "opened again, counted again");
        assertEquals(new TreeStats(idleAtOnce.stats().bytes(), entries * LayerTree.BYTES_PER_ENTRY * 3 / 2, 2, 1),
                idleAtOnce.stats(), "each tree dropped once, one opened again");
        notMounted.unpin();
        fetching.closed();
        notMounted.closed();
        assertEquals(0, idleAtOnce.stats().bytes());
    }

    @Test
    void aTreeThatCannotBeOpenedAgainOrComesBackOtherFailsAndAClosedOneNoLongerCounts() throws Exception {
        EstargzLayer layer = InodeTableTest.layer(new SourceLayer().dir("bin/", 0755).file("bin/sh", new byte[3], 0755));
        EstargzLayer other = InodeTableTest.layer(new SourceLayer().dir("etc/", 0755));
        TreeBudget budget = new TreeBudget(0, Duration.ZERO);

        AtomicInteger tries = new AtomicInteger();
        LayerTree gone = dropped(new LayerTree("sha256:gone", layer, () -> {
            tries.incrementAndGet();
            throw new java.io.IOException("its recorded reads are gone");
        }, budget), budget);
        java.io.IOException e = assertThrows(java.io.IOException.class, gone::get);
        assertTrue(e.getMessage().contains("its recorded reads are gone"), e.getMessage());
        assertThrows(java.io.IOException.class, gone::get);
        assertEquals(1, tries.get(), "not tried again at each use");

        LayerTree changed = dropped(new LayerTree("sha256:changed", layer, () -> other, budget), budget);
        e = assertThrows(java.io.IOException.class, changed::get);
        assertTrue(e.getMessage().contains("is not the one it was mounted with"), e.getMessage());

        LayerTree closed = dropped(new LayerTree("sha256:closed", layer, () -> layer, budget), budget);
        closed.closed();
        assertEquals(layer.toc().digest(), closed.get().layer().toc().digest(), "a busy mount still serves");
        assertEquals(0, budget.stats().bytes(), "but its tree no longer counts");
    }

    /** {@code tree}, mounted and dropped by a budget of nothing. */
    private static LayerTree dropped(LayerTree tree, TreeBudget budget) throws InterruptedException {
        tree.mounted();
        Thread.sleep(1);
        budget.settle();
        assertNull(tree.ifLoaded());
        return tree;
    }

    private static MountedLayer mount(TestMounts mounts, SourceLayer.Blob blob, LayerReopener reopener,
                                      LayerFsOptions options) throws Exception {
        RecordingBlob recording = new RecordingBlob(blob.bytes());
        return mounts.mount(recording, EstargzLayer.open(recording, blob.annotations()), reopener, options);
    }

    /** Every path's inode number. */
    private static Map<String, Object> inodes(ExpectedTree expected, Path root) throws Exception {
        Map<String, Object> inodes = new TreeMap<>();
        for (ExpectedTree.Node n : expected.nodes.values()) {
            inodes.put(n.path(), Files.getAttribute(root.resolve(n.path()), "unix:ino", LinkOption.NOFOLLOW_LINKS));
        }
        return inodes;
    }
}
