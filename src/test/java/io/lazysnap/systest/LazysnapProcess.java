package io.lazysnap.systest;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** {@code bin/lazysnap serve} as its own process, the way an operator runs it. */
final class LazysnapProcess implements AutoCloseable {

    final Path root;
    final Path socket;
    private final Path config;
    private final Path logDir;
    private Process process;
    private int starts;
    private List<String> wrapper = List.of();

    /** {@code config} may be null: the daemon's defaults apply. */
    LazysnapProcess(Path root, Path socket, Path config, Path logDir) {
        this.root = root;
        this.socket = socket;
        this.config = config;
        this.logDir = logDir;
    }

    /** Later starts run the daemon as the last argument of {@code prefix} (e.g. inside another mount namespace). */
    void wrapWith(List<String> prefix) {
        this.wrapper = List.copyOf(prefix);
    }

    /** Starts the daemon and returns once it accepts calls. */
    void start() throws Exception {
        Path log = log(++starts);
        List<String> command = new ArrayList<>(wrapper);
        command.addAll(List.of("bin/lazysnap", "serve", "--root", root.toString(),
                "--address", socket.toString(), "--log-level", "debug"));
        if (config != null) {
            command.addAll(List.of("--config", config.toString()));
        }
        process = Processes.start(log, command);
        Processes.waitFor("lazysnap", Duration.ofSeconds(60), process, log,
                () -> Files.exists(socket) && Processes.tail(log).contains("lazysnap ready"));
    }

    /** SIGTERM and wait; returns the exit code. */
    int stop() throws InterruptedException {
        return Processes.stop(process);
    }

    void kill9() throws InterruptedException {
        Processes.kill9(process);
    }

    String log() throws java.io.IOException {
        return Processes.tail(log(starts));
    }

    private Path log(int n) {
        return logDir.resolve("lazysnap-" + n + ".log");
    }

    @Override
    public void close() throws InterruptedException {
        Processes.stop(process);
    }
}
