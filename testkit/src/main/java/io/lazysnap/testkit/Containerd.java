package io.lazysnap.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A private containerd (Debian's package, CRI included) whose root, state, sockets and log live under one
 * directory, with a {@code proxy_plugins} entry per remote snapshotter and CRI pulling through one of them from a
 * plain-HTTP registry mirror. Closing it stops containerd by PID, then the shims it started.
 */
public final class Containerd implements AutoCloseable {

    private final Path dir;
    private final Path socket;
    private final Process process;

    private Containerd(Path dir, Path socket, Process process) {
        this.dir = dir;
        this.socket = socket;
        this.process = process;
    }

    /** A containerd to be configured under {@code dir} (kept short: unix socket paths are limited to 107 bytes). */
    public static Builder under(Path dir) {
        return new Builder(dir);
    }

    public static final class Builder {
        private final Path dir;
        private final Map<String, Path> snapshotters = new LinkedHashMap<>();
        private String criSnapshotter;
        private String sandboxImage;
        private String registry;
        private boolean debug;

        private Builder(Path dir) {
            this.dir = dir;
        }

        /** A {@code proxy_plugins} snapshotter {@code name} served on {@code socket}. */
        public Builder snapshotter(String name, Path socket) {
            snapshotters.put(name, socket);
            return this;
        }

        /** CRI's snapshotter (with snapshot annotations on, as remote snapshotters need) and pause image. */
        public Builder cri(String snapshotter, String sandboxImage) {
            this.criSnapshotter = snapshotter;
            this.sandboxImage = sandboxImage;
            return this;
        }

        /** Logs at debug level: every content write, snapshot call and image change, with its time. */
        public Builder debug(boolean debug) {
            this.debug = debug;
            return this;
        }

        /** {@code host:port} of a registry CRI reaches over plain HTTP. */
        public Builder plainHttpRegistry(String hostPort) {
            this.registry = hostPort;
            return this;
        }

        public Containerd start() throws Exception {
            Path socket = Files.createDirectories(dir.resolve("run")).resolve("containerd.sock");
            StringBuilder config = new StringBuilder("""
                    version = 2
                    root = "%s"
                    state = "%s"
                    [grpc]
                      address = "%s"
                    [ttrpc]
                      address = "%s"
                    """.formatted(dir.resolve("containerd-root"), dir.resolve("containerd-state"), socket,
                    dir.resolve("run/containerd.ttrpc.sock")));
            if (debug) {
                config.append("""
                        [debug]
                          level = "debug"
                        """);
            }
            snapshotters.forEach((name, address) -> config.append("""
                    [proxy_plugins.%s]
                      type = "snapshot"
                      address = "%s"
                    """.formatted(name, address)));
            config.append("""
                    [plugins."io.containerd.grpc.v1.cri"]
                      sandbox_image = "%s"
                      stream_server_address = "127.0.0.1"
                      stream_server_port = "0"
                      # Some sandboxes (CI VMs) refuse a negative oom_score_adj, which CRI gives the pause container.
                      restrict_oom_score_adj = true
                      [plugins."io.containerd.grpc.v1.cri".containerd]
                        snapshotter = "%s"
                        disable_snapshot_annotations = false
                      [plugins."io.containerd.grpc.v1.cri".cni]
                        bin_dir = "%s"
                        conf_dir = "%s"
                      [plugins."io.containerd.grpc.v1.cri".registry.mirrors."%s"]
                        endpoint = ["http://%s"]
                    """.formatted(sandboxImage, criSnapshotter, dir.resolve("cni-bin"), dir.resolve("cni-conf"),
                    registry, registry));
            Path file = Files.writeString(dir.resolve("containerd.toml"), config);
            Path log = dir.resolve("containerd.log");
            Containerd containerd = new Containerd(dir, socket,
                    Processes.start(log, List.of("containerd", "--config", file.toString())));
            try {
                Processes.awaitReady("containerd", Duration.ofSeconds(60), containerd.process, log, () -> {
                    try {
                        return Files.exists(socket) && containerd.ctr("default", "version") != null;
                    } catch (IOException notYet) {
                        return false;
                    }
                });
            } catch (Exception e) {
                containerd.close();
                throw e;
            }
            return containerd;
        }
    }

    public Path socket() {
        return socket;
    }

    /** Runs {@code ctr} against this containerd in {@code namespace}; returns its standard output. */
    public String ctr(String namespace, String... args) throws IOException, InterruptedException {
        return Processes.run(Duration.ofMinutes(10), ctrCommand(namespace, args));
    }

    public List<String> ctrCommand(String namespace, String... args) {
        List<String> command = new ArrayList<>(List.of("ctr", "--address", socket.toString(), "--namespace", namespace));
        command.addAll(List.of(args));
        return command;
    }

    public String logTail() throws IOException {
        return Processes.tail(dir.resolve("containerd.log"));
    }

    @Override
    public void close() throws InterruptedException {
        Processes.stop(process);
        Processes.killShimsUnder(dir);
    }
}
