package io.lazysnap.bench;

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

    final Path dir;
    final Path containerdSocket;
    final PullMode.Daemon daemon;
    final Path snapshotterSocket;
    private Process snapshotter;
    private Process containerd;
    private final ExitGuard guard = ExitGuard.of(this);

    private Node(Path dir, PullMode.Daemon daemon) {
        this.dir = dir;
        this.daemon = daemon;
        this.containerdSocket = dir.resolve("run/containerd.sock");
        this.snapshotterSocket = dir.resolve("run/" + daemon.pluginName + ".sock");
    }

    /**
     * @param registry  {@code host:port} of the (shaped) registry, spoken to over plain HTTP
     * @param sandboxImage the CRI pause image
     * @param daemon       the remote snapshotter to run, also CRI's snapshotter
     */
    static Node start(String registry, String sandboxImage, PullMode.Daemon daemon) throws Exception {
        // Short base path: unix socket paths are limited to 107 bytes.
        Node node = new Node(Files.createTempDirectory(Path.of("/tmp"), "lzs-bench-"), daemon);
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
        Files.writeString(config, System.getenv().getOrDefault("LAZYSNAP_BENCH_CONFIG", "") + """

                [registry]
                plain_http = ["%s"]
                """.formatted(registry));
        Path log = dir.resolve("lazysnap.log");
        // LAZYSNAP_BENCH_DEBUG=1: the daemon logs every registry request and snapshot call, with timings.
        String level = "1".equals(System.getenv("LAZYSNAP_BENCH_DEBUG")) ? "debug" : "info";
        snapshotter = Commands.start(log, Lazysnap.command("serve", "--root", dir.resolve("lazysnap").toString(),
                "--address", snapshotterSocket.toString(), "--config", config.toString(), "--log-level", level));
        Commands.awaitReady("lazysnap", snapshotter, log, Duration.ofSeconds(60),
                () -> Files.exists(snapshotterSocket) && Commands.tail(log).contains("lazysnap ready"));
    }

    /** stargz-snapshotter's daemon with its defaults (an empty config); it speaks plain HTTP to 127.0.0.1. */
    private void startStargz() throws Exception {
        Path config = Files.writeString(dir.resolve("stargz.toml"), "");
        Path log = dir.resolve("stargz.log");
        snapshotter = Commands.start(log, List.of(StargzReference.binary().toString(), "--root",
                dir.resolve("stargz").toString(), "--address", snapshotterSocket.toString(), "--config",
                config.toString()));
        Commands.awaitReady("containerd-stargz-grpc", snapshotter, log, Duration.ofSeconds(60),
                () -> Files.exists(snapshotterSocket) && Commands.tail(log).contains("\"msg\":\"serving\""));
    }

    private void startContainerd(String registry, String sandboxImage) throws Exception {
        Path config = dir.resolve("containerd.toml");
        Files.writeString(config, """
                version = 2
                root = "%s"
                state = "%s"
                [grpc]
                  address = "%s"
                [ttrpc]
                  address = "%s"
                [proxy_plugins.%s]
                  type = "snapshot"
                  address = "%s"
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "%s"
                  stream_server_address = "127.0.0.1"
                  stream_server_port = "0"
                  # This machine refuses a negative oom_score_adj, which CRI would give the pause container.
                  restrict_oom_score_adj = true
                  [plugins."io.containerd.grpc.v1.cri".containerd]
                    snapshotter = "%s"
                    disable_snapshot_annotations = false
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = "%s"
                    conf_dir = "%s"
                  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."%s"]
                    endpoint = ["http://%s"]
                """.formatted(dir.resolve("containerd-root"), dir.resolve("containerd-state"), containerdSocket,
                dir.resolve("run/containerd.ttrpc.sock"), daemon.pluginName, snapshotterSocket, sandboxImage,
                daemon.pluginName, dir.resolve("cni-bin"),
                dir.resolve("cni-conf"), registry, registry));
        Path log = dir.resolve("containerd.log");
        containerd = Commands.start(log, List.of("containerd", "--config", config.toString()));
        Commands.awaitReady("containerd", containerd, log, Duration.ofSeconds(60), () -> {
            try {
                return Files.exists(containerdSocket) && ctr("version") != null;
            } catch (IOException notYet) {
                return false;
            }
        });
    }

    /** {@code ctr} against this node's containerd, in the bench namespace. */
    String ctr(String... args) throws IOException, InterruptedException {
        return Commands.run(Duration.ofMinutes(10), ctrCommand(args));
    }

    List<String> ctrCommand(String... args) {
        List<String> command = new ArrayList<>(List.of("ctr", "--address", containerdSocket.toString(),
                "--namespace", NAMESPACE));
        command.addAll(List.of(args));
        return command;
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
        return "--- " + name + "\n" + Commands.tail(dir.resolve(name + ".log")) + "\n--- containerd\n"
                + Commands.tail(dir.resolve("containerd.log"));
    }

    @Override
    public void close() throws Exception {
        guard.release();
        new Cleanup()
                .step(() -> Commands.stop(containerd))
                // Shims outlive containerd by design; ours carry our socket path on their command line.
                .step(() -> ProcessHandle.allProcesses()
                        .filter(p -> p.info().commandLine().orElse("").matches("\\S*containerd-shim.*" + dir + ".*"))
                        .forEach(ProcessHandle::destroyForcibly))
                .step(() -> Commands.stop(snapshotter))
                .step(() -> Commands.stopFdKeeper(dir))
                .step(() -> {
                    for (String mount : Commands.mountsUnder(dir)) {
                        Commands.run("umount", "-l", mount);
                    }
                })
                .step(() -> {
                    if (System.getenv("LAZYSNAP_BENCH_KEEP") == null) {
                        Commands.run("rm", "-rf", "--one-file-system", dir.toString());
                    } else {
                        LOG.info("kept {}", dir);
                    }
                })
                .done();
    }
}
