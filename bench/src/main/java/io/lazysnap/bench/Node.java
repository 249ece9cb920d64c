package io.lazysnap.bench;

import io.lazysnap.testkit.Processes;
import io.lazysnap.testkit.Cleanup;
import io.lazysnap.testkit.CriClient;
import io.lazysnap.testkit.Containerd;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A cold node: a private containerd (CRI included) and a fresh remote snapshotter daemon (lazysnap, or
 * stargz-snapshotter's as the reference), each with empty state under one temp dir, so nothing of an earlier
 * iteration is cached. Stopped by PID, shims included, and unmounted on close.
 */
final class Node implements AutoCloseable {

    static final String NAMESPACE = "bench";
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);
    /** USER_HZ, the unit of /proc's CPU times: 100 on every Linux architecture the bench runs on. */
    private static final long CLOCK_TICKS = 100;

    final Path dir;
    final PullMode.Daemon daemon;
    final Path snapshotterSocket;
    /** Whether the registry speaks HTTPS (an {@code -https} {@link Link}); otherwise plain HTTP. */
    final boolean https;
    private Process snapshotter;
    private Containerd containerd;
    private CriClient cri;
    private final ExitGuard guard = ExitGuard.of(this);

    private Node(Path dir, PullMode.Daemon daemon, boolean https) {
        this.dir = dir;
        this.daemon = daemon;
        this.https = https;
        this.snapshotterSocket = dir.resolve("run/" + daemon.pluginName + ".sock");
    }

    /**
     * @param registry  {@code host:port} of the (shaped) registry
     * @param sandboxImage the CRI pause image
     * @param daemon       the remote snapshotter to run, also CRI's snapshotter
     * @param https        whether the registry speaks HTTPS (only lazysnap's rpull modes are set up for that)
     */
    static Node start(String registry, String sandboxImage, PullMode.Daemon daemon, boolean https) throws Exception {
        // Short base path: unix socket paths are limited to 107 bytes.
        Node node = new Node(Files.createTempDirectory(Path.of("/tmp"), "lzs-bench-"), daemon, https);
        try {
            Files.createDirectories(node.dir.resolve("run"));
            if (daemon == PullMode.Daemon.STARGZ) {
                node.startStargz();
            } else {
                node.startLazysnap(registry);
            }
            node.startContainerd(registry, sandboxImage);
            return node;
        } catch (Exception e) {
            node.close();
            throw e;
        }
    }

    private void startLazysnap(String registry) throws Exception {
        Path config = dir.resolve("lazysnap.toml");
        // LAZYSNAP_BENCH_CONFIG: more of lazysnap's config (e.g. an [unpack] section), to try settings.
        Files.writeString(config, System.getenv().getOrDefault("LAZYSNAP_BENCH_CONFIG", "") + (https ? "" : """

                [registry]
                plain_http = ["%s"]
                """.formatted(registry)));
        Path log = dir.resolve("lazysnap.log");
        // LAZYSNAP_BENCH_DEBUG=1: the daemon logs every registry request and snapshot call, with timings.
        String level = FirstStart.DAEMONS_DEBUG ? "debug" : "info";
        snapshotter = Processes.start(log, Lazysnap.command("serve", "--root", dir.resolve("lazysnap").toString(),
                "--address", snapshotterSocket.toString(), "--config", config.toString(), "--log-level", level));
        Processes.awaitReady("lazysnap", Duration.ofSeconds(60), snapshotter, log,
                () -> Files.exists(snapshotterSocket) && Processes.tail(log).contains("lazysnap ready"));
    }

    /** stargz-snapshotter's daemon with its defaults (an empty config); it speaks plain HTTP to 127.0.0.1. */
    private void startStargz() throws Exception {
        Path config = Files.writeString(dir.resolve("stargz.toml"), "");
        Path log = dir.resolve("stargz.log");
        snapshotter = Processes.start(log, List.of(StargzReference.binary().toString(), "--root",
                dir.resolve("stargz").toString(), "--address", snapshotterSocket.toString(), "--config",
                config.toString()));
        Processes.awaitReady("containerd-stargz-grpc", Duration.ofSeconds(60), snapshotter, log,
                () -> Files.exists(snapshotterSocket) && Processes.tail(log).contains("\"msg\":\"serving\""));
    }

    private void startContainerd(String registry, String sandboxImage) throws Exception {
        containerd = Containerd.under(dir).snapshotter(daemon.pluginName, snapshotterSocket)
                .cri(daemon.pluginName, sandboxImage).plainHttpRegistry(registry)
                .debug(FirstStart.DAEMONS_DEBUG).start();
    }

    Path containerdSocket() {
        return containerd.socket();
    }

    /** A kubelet's client of this node's containerd, opened at first use. */
    synchronized CriClient cri() {
        if (cri == null) {
            cri = new CriClient(containerd.socket());
        }
        return cri;
    }

    /** {@code ctr} against this node's containerd, in the bench namespace. */
    String ctr(String... args) throws IOException, InterruptedException {
        return containerd.ctr(NAMESPACE, args);
    }

    List<String> ctrCommand(String... args) {
        return containerd.ctrCommand(NAMESPACE, args);
    }

    /**
     * The snapshotter daemon's peak resident set so far: {@code VmHWM} summed over its process and the descendants
     * alive now (a helper process of either daemon counts against it), in bytes.
     */
    long snapshotterPeakRss() throws IOException {
        long sum = peakRss(snapshotter.pid());
        for (ProcessHandle child : snapshotter.descendants().toList()) {
            try {
                sum += peakRss(child.pid());
            } catch (IOException exited) {
                // Gone between listing and reading: its memory is no longer part of the tree.
            }
        }
        return sum;
    }

    /**
     * CPU time the snapshotter daemon's process tree has used so far, in ms, for the debug timeline: on a small
     * node, a daemon busy during a pull slows containerd and the registry too.
     */
    long snapshotterCpuMillis() {
        return snapshotterTree().stream().mapToLong(Node::cpuMillis).sum();
    }

    /** The snapshotter daemon's processes: itself and whatever it started. */
    List<ProcessHandle> snapshotterTree() {
        List<ProcessHandle> tree = new ArrayList<>(snapshotter.descendants().toList());
        tree.add(0, snapshotter.toHandle());
        return tree;
    }

    /** CPU time a process has used so far, in ms, its threads that ended included (10 ms steps). */
    static long cpuMillis(ProcessHandle process) {
        return cpuTicks(process) * 1000 / CLOCK_TICKS;
    }

    private static long cpuTicks(ProcessHandle process) {
        try {
            String stat = Files.readString(Path.of("/proc/" + process.pid() + "/stat"));
            // Fields after the command name, which may hold spaces: utime and stime are the 12th and 13th.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
        } catch (IOException | RuntimeException gone) {
            return 0;
        }
    }

    private static long peakRss(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IOException("no VmHWM for pid " + pid);
    }

    String logs() throws IOException {
        String name = daemon.pluginName;
        return "--- " + name + "\n" + Processes.tail(dir.resolve(name + ".log")) + "\n--- containerd\n"
                + (containerd == null ? "" : containerd.logTail());
    }

    @Override
    public void close() throws Exception {
        guard.release();
        new Cleanup()
                .step(() -> {
                    if (cri != null) {
                        cri.close();
                    }
                })
                .step(() -> {
                    if (containerd != null) {
                        containerd.close();
                    }
                })
                .step(() -> Processes.stop(snapshotter))
                .step(() -> Processes.stopFdKeepers(dir))
                .step(() -> Processes.unmountUnder(dir))
                .step(() -> {
                    if (System.getenv("LAZYSNAP_BENCH_KEEP") == null) {
                        Processes.run("rm", "-rf", "--one-file-system", dir.toString());
                    } else {
                        LOG.info("kept {}", dir);
                    }
                })
                .done();
    }
}
