package io.lazysnap.bench;

import java.io.InputStream;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Open and read a small file cold: through a fresh lazysnap FUSE mount with empty caches (lookup, chunk fetched
 * from the in-memory blob, verified, gunzipped), against local disk with the file's page cache dropped.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = "-Dfile.encoding=UTF-8")
@Warmup(iterations = 5)
@Measurement(iterations = 20)
public class FuseColdRead {

    @Param({"fuse", "local"})
    public String source;
    private ReadFixture fixture;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        fixture = new ReadFixture(source);
    }

    @Setup(Level.Iteration)
    public void coldStart() throws Exception {
        fixture.coldStart(MicroLayers.SMALL_FILE);
    }

    @Benchmark
    public byte[] smallFile() throws Exception {
        try (InputStream in = Files.newInputStream(fixture.path(MicroLayers.SMALL_FILE))) {
            return in.readAllBytes();
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        fixture.close();
    }
}
