package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
    void entryAndAttributeTimeoutsReachLibfuse() {
        LayerFsOptions options = LayerFsOptions.builder(TestMounts.inMemory().cache)
                .entryTimeout(Duration.ofSeconds(5)).attrTimeout(Duration.ofSeconds(7)).build();
        List<String> o = LayerFs.mountOptions("sha256:" + "ab".repeat(32), options);
        assertTrue(o.contains("entry_timeout=5") && o.contains("negative_timeout=5") && o.contains("attr_timeout=7"),
                o.toString());
    }
}
