package io.lazysnap.bench;

import io.lazysnap.testkit.Processes;
import io.lazysnap.testkit.Cleanup;
import io.lazysnap.testkit.CriPod;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Time to first start: from "pull requested" to the container's first line of output, on a cold node (fresh
 * containerd and lazysnap, empty caches) each iteration, behind a shaped link. One JMH trial per image, mode and
 * link; the registry, link and images persist through the trial. Bytes served and lazysnap's peak RSS go to
 * {@link SideResults}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@State(Scope.Benchmark)
@Fork(1)
@Warmup(iterations = 0)
@org.openjdk.jmh.annotations.Measurement(iterations = 2)
public class TimeToFirstStart {

    private static final Logger LOG = LoggerFactory.getLogger(TimeToFirstStart.class);

    /** {@link ImageSpec} name. */
    @Param({"100m-2pct"})
    public String image;
    /** {@link PullMode} label. */
    @Param({"overlay", "lazysnap-rpull"})
    public String mode;
    /** {@link Link} spec. */
    @Param({"100mbit-20ms"})
    public String link;

    private ImageSpec spec;
    private PullMode pullMode;
    private Link linkSpec;
    private Path netDir;
    private ShapedNetwork net;
    private String ref;
    private String pauseRef;
    private long imageBytes;
    private Node node;
    private CriPod pod;
    private FirstStart.Started started;
    private ThreadCpu cpuAtStart;
    private long startNanos;
    private double millis;
    private long bytesBeforeStart;

    @Setup(Level.Trial)
    public void bringUpLink() throws Exception {
        spec = ImageSpec.parse(image);
        pullMode = PullMode.parse(mode);
        linkSpec = Link.parse(link);
        if (linkSpec.https() && !pullMode.rpull()) {
            throw new IllegalArgumentException("an -https link runs lazysnap's rpull modes only, not " + mode
                    + ": containerd's and stargz-snapshotter's set-ups here speak plain HTTP to the registry");
        }
        Path cache = BenchCache.dir();
        netDir = Files.createTempDirectory(Path.of("/tmp"), "lzs-bench-net-");
        net = ShapedNetwork.start(linkSpec, netDir, Files.createDirectories(cache.resolve("registry")));
        try {
            prepareImages(cache);
        } catch (Exception e) {
            tearDownLink();
            throw e;
        }
    }

    private void prepareImages(Path cache) throws Exception {
        ImageBuilder images = new ImageBuilder(cache, net.pushAddress());
        images.ensure(spec);
        pauseRef = net.pullHost() + "/" + images.ensurePause();
        ref = net.pullHost() + "/" + ImageBuilder.repository(spec) + ":" + pullMode.variant.tag();
        imageBytes = images.layerBytes(spec, pullMode.variant);
        SideResults.note("shaping " + link, net.shaping());
    }

    @Setup(Level.Iteration)
    public void coldNode() throws Exception {
        node = Node.start(net.pullHost(), pauseRef, pullMode.daemon(), linkSpec.https());
        if (pullMode.cri()) {
            try {
                pod = node.cri().openPod(Node.NAMESPACE, "bench", node.dir.resolve("pod-logs"));
            } catch (Exception e) {
                node.close();
                throw e;
            }
        }
        net.proxy().reset();
        // Read before the clock starts: walking the daemon's threads takes a few ms.
        cpuAtStart = FirstStart.TIMELINE ? ThreadCpu.of(node) : null;
        startNanos = System.nanoTime();
    }

    @Benchmark
    public String firstStart() throws Exception {
        started = FirstStart.run(node, pullMode, ref, pod);
        millis = (System.nanoTime() - startNanos) / 1e6;
        bytesBeforeStart = net.proxy().served();
        return started.firstLine();
    }

    @TearDown(Level.Iteration)
    public void checkAndStop() throws Exception {
        if (cpuAtStart != null) {
            LOG.info("snapshotter CPU by thread from the request to the first line: {}",
                    ThreadCpu.of(node).since(cpuAtStart));
        }
        try {
            String expected = spec.isPython() ? PythonContent.FIRST_LINE : SyntheticContent.FIRST_LINE;
            if (started == null || !expected.equals(started.firstLine())) {
                throw new IllegalStateException("container printed " + (started == null ? "nothing"
                        : "'" + started.firstLine() + "'") + ", expected '" + expected + "'\n" + node.logs());
            }
            started.awaitExit();
            SideResults.append(new Measurement(image, mode, link, millis, bytesBeforeStart, imageBytes,
                    pullMode.lazy() ? node.snapshotterPeakRss() : 0));
        } finally {
            started = null;
            CriPod p = pod;
            pod = null;
            new Cleanup().step(() -> {
                if (p != null) {
                    p.close();
                }
            }).step(node::close).done();
        }
    }

    @TearDown(Level.Trial)
    public void tearDownLink() throws Exception {
        if (net != null) {
            net.close();
        } else {
            Processes.run("rm", "-rf", netDir.toString());
        }
    }
}
