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
 * A cold node: a private containerd (CRI included) and a fresh lazysnap daemon, each with empty state under one
 * temp dir, so nothing of an earlier iteration is cached. Stopped by PID, shims included, and unmounted on close.
 */
final class Node implements AutoCloseable {

    static final String NAMESPACE = "bench";
    private static final Logger LOG = LoggerFactory.getLogger(Node.class);

    final Path dir;
    final Path containerdSocket;
    final Path lazysnapSocket;
    private Process lazysnap;
    private Process containerd;
    private final ExitGuard guard = ExitGuard.of(this);

    private Node(Path dir) {
        this.dir = dir;
        this.containerdSocket = dir.resolve("run/containerd.sock");
        this.lazysnapSocket = dir.resolve("run/lazysnap.sock");
    }

    /**
     * @param registry  {@code host:port} of the (shaped) registry, spoken to over plain HTTP
     * @param sandboxImage the CRI pause image
     */
    static Node start(String registry, String sandboxImage) throws Exception {
        // Short base path: unix socket paths are limited to 107 bytes.
        Node node = new Node(Files.createTempDirectory(Path.of("/tmp"), "lzs-bench-"));
        try {
            node.startLazysnap(registry);
            node.startContainerd(registry, sandboxImage);
            return node;
        } catch (Exception e) {
            node.close();
            throw e;
        }
    }

    private void startLazysnap(String registry) throws Exception {
        Files.createDirectories(dir.resolve("run"));
        Path config = dir.resolve("lazysnap.toml");
        Files.writeString(config, """
                [registry]
                plain_http = ["%s"]
                """.formatted(registry));
        Path log = dir.resolve("lazysnap.log");
        lazysnap = Commands.start(log, Lazysnap.command("serve", "--root", dir.resolve("lazysnap").toString(),
                "--address", lazysnapSocket.toString(), "--config", config.toString()));
        Commands.awaitReady("lazysnap", lazysnap, log, Duration.ofSeconds(60),
                () -> Files.exists(lazysnapSocket) && Commands.tail(log).contains("lazysnap ready"));
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
                [proxy_plugins.lazysnap]
                  type = "snapshot"
                  address = "%s"
                [plugins."io.containerd.grpc.v1.cri"]
                  sandbox_image = "%s"
                  stream_server_address = "127.0.0.1"
                  stream_server_port = "0"
                  # This machine refuses a negative oom_score_adj, which CRI would give the pause container.
                  restrict_oom_score_adj = true
                  [plugins."io.containerd.grpc.v1.cri".containerd]
                    snapshotter = "lazysnap"
                    disable_snapshot_annotations = false
                  [plugins."io.containerd.grpc.v1.cri".cni]
                    bin_dir = "%s"
                    conf_dir = "%s"
                  [plugins."io.containerd.grpc.v1.cri".registry.mirrors."%s"]
                    endpoint = ["http://%s"]
                """.formatted(dir.resolve("containerd-root"), dir.resolve("containerd-state"), containerdSocket,
                dir.resolve("run/containerd.ttrpc.sock"), lazysnapSocket, sandboxImage, dir.resolve("cni-bin"),
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

    /** The lazysnap daemon's peak resident set so far ({@code VmHWM}), in bytes. */
    long lazysnapPeakRss() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/" + lazysnap.pid() + "/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
            }
        }
        throw new IOException("no VmHWM for lazysnap (pid " + lazysnap.pid() + ")");
    }

    String logs() throws IOException {
        return "--- lazysnap\n" + Commands.tail(dir.resolve("lazysnap.log")) + "\n--- containerd\n"
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
                .step(() -> Commands.stop(lazysnap))
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
