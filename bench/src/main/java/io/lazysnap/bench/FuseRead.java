package io.lazysnap.bench;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Reads through a lazysnap FUSE mount (blob in memory: no network) against the same bytes on local disk.
 * {@code sequentialWarm}: the 64 MiB file, chunks already in lazysnap's memory cache but the kernel page cache
 * dropped before each pass, so every byte crosses FUSE; one operation is one MiB (score = MiB/s).
 * {@code random4k}: 4 KiB reads at distinct random pages of the same file, page cache dropped before each batch
 * (score = reads/s).
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = "-Dfile.encoding=UTF-8")
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
public class FuseRead {

    @Param({"fuse", "local"})
    public String source;
    private ReadFixture fixture;
    private final ByteBuffer buffer = ByteBuffer.allocateDirect(128 << 10);
    private final ByteBuffer page = ByteBuffer.allocateDirect(PAGE);
    private final java.util.Random random = new java.util.Random(11);
    private static final int PAGE = 4096;
    private static final int RANDOM_READS = 256;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        fixture = new ReadFixture(source);
    }

    @Setup(Level.Invocation)
    public void dropPageCache() throws Exception {
        fixture.dropPageCache(MicroLayers.BIG_FILE);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(MicroLayers.BIG_FILE_BYTES >> 20)
    public long sequentialWarm() throws Exception {
        long total = 0;
        try (FileChannel ch = FileChannel.open(fixture.path(MicroLayers.BIG_FILE), StandardOpenOption.READ)) {
            for (int n; (n = ch.read(buffer.clear())) > 0; ) {
                total += n;
            }
        }
        if (total != MicroLayers.BIG_FILE_BYTES) {
            throw new IllegalStateException("read " + total + " bytes");
        }
        return total;
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(RANDOM_READS)
    public long random4k() throws Exception {
        int pages = (int) (MicroLayers.BIG_FILE_BYTES / PAGE);
        long total = 0;
        try (FileChannel ch = FileChannel.open(fixture.path(MicroLayers.BIG_FILE), StandardOpenOption.READ)) {
            // Distinct pages: a page read twice in one batch would come from the page cache.
            for (int p : random.ints(0, pages).distinct().limit(RANDOM_READS).toArray()) {
                total += ch.read(page.clear(), (long) p * PAGE);
            }
        }
        if (total != (long) RANDOM_READS * PAGE) {
            throw new IllegalStateException("read " + total + " bytes");
        }
        return total;
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        fixture.close();
    }
}
