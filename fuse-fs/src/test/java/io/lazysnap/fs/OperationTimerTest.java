package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.estargz.EstargzLayer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hooks operators tune and watch the FUSE side with: operation timings and the kernel's cache timeouts. */
class OperationTimerTest {

    @TempDir
    Path tmp;

    @Test
    void everyOperationOfAMountIsTimed() throws Exception {
        SourceLayer.Blob blob = SourceLayer.standard(64 << 10).estargz(64 << 10);
        Map<String, LongAdder> counts = new ConcurrentHashMap<>();
        Map<String, LongAdder> nanos = new ConcurrentHashMap<>();
        LayerFsOptions options = LayerFsOptions.builder(ChunkCache.builder().build()).backgroundFetch(false)
                .operationTimer((op, n) -> {
                    counts.computeIfAbsent(op, k -> new LongAdder()).increment();
                    nanos.computeIfAbsent(op, k -> new LongAdder()).add(n);
                }).build();
        try (TestMounts mounts = new TestMounts(tmp)) {
            MountedLayer m = mounts.mount(blob, options);
            assertEquals("hello, layer\n", Files.readString(m.mountpoint().resolve("bin/small")));
            try (var list = Files.list(m.mountpoint().resolve("bin"))) {
                assertTrue(list.count() > 3);
            }
        }
        for (String op : List.of("getattr", "open", "read", "release", "opendir", "readdir")) {
            assertTrue(counts.containsKey(op) && counts.get(op).sum() > 0, op + " timed: " + counts);
            assertTrue(nanos.get(op).sum() > 0, op);
        }
    }

    @Test
    void entryAndAttributeTimeoutsReachTheKernel() throws Exception {
        EstargzLayer layer = InodeTableTest.layer(new SourceLayer().dir("bin/", 0755));
        InodeTable table = InodeTable.of(layer.toc());
        LayerTree tree = new LayerTree("sha256:test", layer, null, new TreeBudget(1 << 20, Duration.ZERO));
        LayerOps ops = new LayerOps(tree, null, new LayerCounters(), (op, n) -> { },
                Duration.ofSeconds(5), Duration.ofSeconds(7));
        jnr.ffi.Pointer out = Syscalls.allocate(FuseWire.OUT_HEADER + FuseWire.ENTRY_OUT);
        int body = FuseWire.OUT_HEADER;
        assertEquals(FuseWire.ENTRY_OUT, ops.lookup(1, "bin", out));
        assertEquals(table.lookup("bin").ino(), out.getLong(body));
        assertEquals(5, out.getLong(body + 16), "entry_valid");
        assertEquals(7, out.getLong(body + 24), "attr_valid");
        assertEquals(FuseWire.ENTRY_OUT, ops.lookup(1, "missing", out));
        assertEquals(0, out.getLong(body), "absent: inode 0, cached as absent");
        assertEquals(5, out.getLong(body + 16), "negative timeout");
    }
}
