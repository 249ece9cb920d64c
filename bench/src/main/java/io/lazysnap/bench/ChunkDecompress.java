package io.lazysnap.bench;

import io.lazysnap.estargz.MemoryBlob;
import io.lazysnap.estargz.Chunk;
import io.lazysnap.estargz.EstargzLayer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * {@code readChunk}: a 4 MiB eStargz chunk fetched from memory, digest-verified and gunzipped. One operation is
 * one MiB, so the score reads as MiB/s of decompressed output on one core.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class ChunkDecompress {

    private EstargzLayer layer;
    private List<Chunk> chunks;
    private int next;

    @Setup
    public void buildLayer() throws Exception {
        layer = EstargzLayer.open(new MemoryBlob(MicroLayers.bigAndSmall()));
        chunks = layer.toc().entry(MicroLayers.BIG_FILE).orElseThrow().chunks();
        if (chunks.size() != MicroLayers.BIG_FILE_BYTES >> 22) {
            throw new IllegalStateException("expected 4 MiB chunks, got " + chunks.size());
        }
    }

    @Benchmark
    @OperationsPerInvocation(4)
    public byte[] readChunk() throws Exception {
        return layer.readChunk(chunks.get(next++ % chunks.size()));
    }
}
