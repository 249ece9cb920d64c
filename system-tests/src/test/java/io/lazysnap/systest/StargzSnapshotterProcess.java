package io.lazysnap.systest;

import io.lazysnap.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * stargz-snapshotter's daemon ({@code containerd-stargz-grpc}, v0.12 from Debian's Go packages, built by
 * {@code scripts/build-stargz-snapshotter}) as a {@link Stack.Snapshotter} named {@code stargz}, with its own root,
 * config and socket under the stack's directory. SIGTERM makes it unmount its FUSE layers.
 */
final class StargzSnapshotterProcess implements Stack.Snapshotter {

    private final Path binary;
    final Path root;
    private final Path socket;
    private final Path config;
    private final Path log;
    private Process process;

    /** {@code configToml}: stargz's fs config (fs/config.Config keys, e.g. {@code no_background_fetch = true}). */
    StargzSnapshotterProcess(Path binary, Path stackDir, String configToml) throws IOException {
        this.binary = binary;
        this.root = stackDir.resolve("stargz");
        this.socket = stackDir.resolve("run/stargz.sock");
        this.config = stackDir.resolve("stargz.toml");
        this.log = stackDir.resolve("stargz.log");
        Files.writeString(config, configToml);
    }

    /** Builds the daemon if its cache has none yet (minutes the first time, offline) and returns its path. */
    static Path build() throws IOException, InterruptedException {
        String out = Processes.run(Duration.ofMinutes(20), "scripts/build-stargz-snapshotter").strip();
        return Path.of(out.substring(out.lastIndexOf('\n') + 1));
    }

    @Override
    public String name() {
        return "stargz";
    }

    @Override
    public Path socket() {
        return socket;
    }

    @Override
    public void start() throws Exception {
        process = Processes.start(log, List.of(binary.toString(), "--root", root.toString(), "--address",
                socket.toString(), "--config", config.toString(), "--log-level", "debug"));
        Processes.awaitReady("containerd-stargz-grpc", Duration.ofSeconds(60), process, log,
                () -> Files.exists(socket) && Processes.tail(log).contains("\"msg\":\"serving\""));
    }

    /** The layers stargz serves through FUSE: mounts under its root whose source is its {@code stargz} fs. */
    List<String> fuseMounts() throws IOException {
        List<String> found = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] fields = line.split(" ");
            String point = fields[4].replace("\\040", " ");
            int sep = List.of(fields).indexOf("-");
            if (point.startsWith(root + "/") && fields[sep + 1].startsWith("fuse") && fields[sep + 2].equals("stargz")) {
                found.add(point);
            }
        }
        return found;
    }

    /** How many lines of its (JSON, debug-level) log carry exactly this message. */
    long logged(String msg) throws IOException {
        String field = "\"msg\":\"" + msg + "\"";
        return Files.readAllLines(log).stream().filter(line -> line.contains(field)).count();
    }

    String log() throws IOException {
        return Processes.tail(log);
    }

    @Override
    public void close() throws InterruptedException {
        Processes.stop(process);
    }
}
