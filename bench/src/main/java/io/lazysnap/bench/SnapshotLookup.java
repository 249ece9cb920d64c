package io.lazysnap.bench;

import io.lazysnap.daemon.root.Root;
import io.lazysnap.daemon.snapshot.InfoFilter;
import io.lazysnap.daemon.snapshot.OverlaySnapshotter;
import io.lazysnap.daemon.snapshot.SnapshotInfo;
import io.lazysnap.testkit.Processes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
 * The List containerd sends, inside its metadata transaction, after each layer lazysnap prepares remotely: the
 * snapshot committed for that layer's chain ID, by label and parent, on a node holding {@code snapshots} layer
 * snapshots with containerd's and the CRI's labels. {@code lookUp} is the snapshotter's List with that filter;
 * {@code scan} reads every snapshot and tests the filter on each, as that List did before it used the labels'
 * index (with 1,000 snapshots exactly so; with 100, the labels are now read for the snapshots' ids rather than
 * as the whole table).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = "-Dfile.encoding=UTF-8")
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class SnapshotLookup {

    private static final String TARGET = "containerd.io/snapshot.ref";

    @Param({"100", "1000"})
    public int snapshots;
    private Path dir;
    private OverlaySnapshotter snapshotter;
    private InfoFilter filter;

    @Setup
    public void commitLayers() throws Exception {
        dir = Files.createTempDirectory(Path.of("/tmp"), "lzs-bench-lookup-");
        snapshotter = OverlaySnapshotter.open(new Root(dir));
        String parent = "";
        String wanted = null;
        for (int i = 0; i < snapshots; i++) {
            String chainId = "sha256:%064x".formatted(i);
            // Images of ten layers each, as a node's image store holds them.
            String below = i % 10 == 0 ? "" : parent;
            Map<String, String> labels = Map.of(TARGET, chainId, "containerd.io/gc.root", "bench",
                    "containerd.io/snapshot/cri.layer-digest", "sha256:%064x".formatted(i + snapshots),
                    "containerd.io/snapshot/cri.image-ref", "registry.example/bench/image:v" + i / 10,
                    "containerd.io/snapshot/cri.manifest-digest", "sha256:%064x".formatted(i / 10));
            snapshotter.prepare("extract-" + i + " " + chainId, below, labels);
            snapshotter.commit(chainId, "extract-" + i + " " + chainId, labels);
            if (i == snapshots / 2 + 5) { // a layer with a parent, as most are
                wanted = "labels.\"" + TARGET + "\"==" + chainId + ",parent==\"" + below + "\"";
            }
            parent = chainId;
        }
        filter = InfoFilter.anyOf(List.of(wanted));
    }

    @Benchmark
    public List<SnapshotInfo> lookUp() {
        List<SnapshotInfo> found = new ArrayList<>();
        snapshotter.walk(filter, found::add);
        return check(found);
    }

    @Benchmark
    public List<SnapshotInfo> scan() {
        List<SnapshotInfo> found = new ArrayList<>();
        snapshotter.walk(InfoFilter.ALL, info -> {
            if (filter.test(info)) {
                found.add(info);
            }
        });
        return check(found);
    }

    private static List<SnapshotInfo> check(List<SnapshotInfo> found) {
        if (found.size() != 1) {
            throw new IllegalStateException("expected the one layer, found " + found.size());
        }
        return found;
    }

    @TearDown
    public void close() throws Exception {
        snapshotter.close();
        Processes.run("rm", "-rf", "--one-file-system", dir.toString());
    }
}
