package io.lazysnap.systest;

import io.lazysnap.testkit.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/** {@code bin/lazysnap serve} as its own process, the way an operator runs it. */
final class LazysnapProcess implements AutoCloseable {

    final Path root;
    final Path socket;
    private final Path config;
    private final Path logDir;
    private Process process;
    private int starts;
    private List<String> wrapper = List.of();
    private Map<String, String> environment = Map.of();

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

    /** Later starts run with these environment variables added (e.g. {@code LAZYSNAP_JAR}: another build). */
    void environment(Map<String, String> variables) {
        this.environment = Map.copyOf(variables);
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
        process = Processes.start(log, command, environment);
        Processes.awaitReady("lazysnap", Duration.ofSeconds(60), process, log,
                () -> Files.exists(socket) && Processes.tail(log).contains("lazysnap ready"));
    }

    /** SIGTERM and wait; returns the exit code. */
    int stop() throws InterruptedException {
        return Processes.stop(process);
    }

    /** The daemon's JVM: the launcher execs it. */
    long pid() {
        return process.pid();
    }

    void kill9() throws InterruptedException {
        Processes.kill9(process);
    }

    /** The end of this start's log, for failure messages. */
    String log() throws IOException {
        return Processes.tail(log(starts));
    }

    /** Whether this start's log has {@code text} anywhere (a debug log scrolls start-up lines out of its tail). */
    boolean logged(String text) throws IOException {
        Path log = log(starts);
        return Files.exists(log) && Files.readString(log).contains(text);
    }

    /** The lines of this start's log that hold {@code text}. */
    List<String> logLines(String text) throws IOException {
        Path log = log(starts);
        return Files.exists(log) ? Files.readAllLines(log).stream().filter(l -> l.contains(text)).toList() : List.of();
    }

    /** How often {@code text} occurs in this start's log. */
    long logCount(String text) throws IOException {
        Path log = log(starts);
        return Files.exists(log) ? Pattern.compile(Pattern.quote(text)).matcher(Files.readString(log)).results().count()
                : 0;
    }

    /** The lazysnap-fdkeeper of this root, while it runs. */
    Optional<ProcessHandle> keeper() throws IOException {
        return Processes.fdKeeper(root);
    }

    private Path log(int n) {
        return logDir.resolve("lazysnap-" + n + ".log");
    }

    /**
     * Stops the daemon, then the keeper that holds its mounts' FUSE connections for the next daemon: the mounts
     * end with it (they are detached by the caller).
     */
    @Override
    public void close() throws Exception {
        Processes.stop(process);
        keeper().ifPresent(p -> {
            p.destroyForcibly();
            p.onExit().join();
        });
    }
}
