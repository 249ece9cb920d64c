package io.lazysnap.bench;

import io.lazysnap.estargz.MemoryBlob;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.estargz.Toc;
import java.lang.management.ManagementFactory;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Opening a layer whose TOC has 100,000 entries: footer, TOC read from the blob, JSON parsed into the immutable
 * model. Also notes the heap the parsed TOC retains per entry (measured once in setup, after GC).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = "-Xmx2g")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TocParse {

    static final int ENTRIES = 100_000;
    private MemoryBlob blob;

    @Setup
    public void buildLayer() throws Exception {
        blob = new MemoryBlob(MicroLayers.manyFiles(ENTRIES));
        long before = usedHeapAfterGc();
        Toc toc = EstargzLayer.open(blob).toc();
        long after = usedHeapAfterGc();
        SideResults.note("toc retained bytes/entry", Long.toString((after - before) / toc.entries().size()));
        SideResults.note("toc entries", Integer.toString(toc.entries().size()));
        SideResults.note("toc blob bytes", Long.toString(blob.size()));
        if (toc.entries().isEmpty()) {
            throw new IllegalStateException("empty TOC");
        }
    }

    private static long usedHeapAfterGc() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(100);
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    @Benchmark
    public Toc open() throws Exception {
        return EstargzLayer.open(blob).toc();
    }
}
