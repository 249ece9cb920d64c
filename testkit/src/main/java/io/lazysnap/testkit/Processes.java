package io.lazysnap.testkit;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Runs the machine's tools and services; every failure carries the command's output, so a broken run explains itself. */
public final class Processes {

    private Processes() {
    }

    /** Runs {@code command} to completion; returns its stdout, or fails with stdout and stderr on a non-zero exit. */
    /** {@link #run(Duration, String...)} with five minutes to finish. */
    public static String run(String... command) throws IOException, InterruptedException {
        return run(Duration.ofMinutes(5), command);
    }

    public static String run(Duration timeout, String... command) throws IOException, InterruptedException {
        return run(timeout, List.of(command));
    }

    public static String run(Duration timeout, List<String> command) throws IOException, InterruptedException {
        return run(timeout, Map.of(), command);
    }

    /** Runs {@code command} with {@code environment} added to this process's. */
    public static String run(Duration timeout, Map<String, String> environment, List<String> command)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("lzs-cmd", ".out");
        Path err = Files.createTempFile("lzs-cmd", ".err");
        try {
            ProcessBuilder b = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            b.environment().putAll(environment);
            Process p = b.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IOException(String.join(" ", command) + " timed out after " + timeout + "; stderr: "
                        + Files.readString(err));
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + "\nstdout: " + stdout
                        + "\nstderr: " + Files.readString(err));
            }
            return stdout;
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Starts a long-running service with stdout and stderr appended to {@code log}. */
    public static Process start(Path log, List<String> command) throws IOException {
        return start(log, command, Map.of());
    }

    public static Process start(Path log, List<String> command, Map<String, String> environment) throws IOException {
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        b.environment().putAll(environment);
        return b.start();
    }

    /** SIGTERM, then SIGKILL after 15 s; returns the exit code (0 for a process never started). */
    public static int stop(Process p) throws InterruptedException {
        if (p == null) {
            return 0;
        }
        if (p.isAlive()) {
            p.destroy();
            if (!p.waitFor(15, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
            }
        }
        return p.exitValue();
    }

    public static void kill9(Process p) throws InterruptedException {
        p.destroyForcibly().waitFor();
    }

    /** Polls {@code ready} every 50 ms until it holds; fails early when {@code p} dies, with its log's tail. */
    public static void awaitReady(String what, Duration timeout, Process p, Path log, Check ready) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ready.ok()) {
            if (!p.isAlive()) {
                throw new IOException(what + " exited with " + p.exitValue() + ":\n" + tail(log));
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(what + " not ready after " + timeout + ":\n" + tail(log));
            }
            Thread.sleep(50);
        }
    }

    /** The last 40 lines of {@code log}; empty when it does not exist (yet). */
    public static String tail(Path log) throws IOException {
        List<String> lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Mount points at or below {@code dir}, deepest first, from /proc/self/mountinfo. */
    public static List<String> mountsUnder(Path dir) throws IOException {
        List<String> found = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String point = line.split(" ")[4].replace("\\040", " ");
            if (point.equals(dir.toString()) || point.startsWith(dir + "/")) {
                found.add(point);
            }
        }
        found.sort((a, b) -> b.length() - a.length());
        return found;
    }

    /** Unmounts (lazily) everything at or below {@code dir}. */
    public static void unmountUnder(Path dir) throws IOException, InterruptedException {
        for (String mount : mountsUnder(dir)) {
            run(Duration.ofSeconds(30), "umount", "-l", mount);
        }
    }

    /**
     * The lazysnap-fdkeeper of the lazysnap root {@code root}, while it runs: it holds the mounts' FUSE connections
     * for a next daemon. A recycled pid that runs something else is not it.
     */
    public static Optional<ProcessHandle> fdKeeper(Path root) throws IOException {
        Path pidFile = root.resolve("handover/keeper.pid");
        if (!Files.exists(pidFile)) {
            return Optional.empty();
        }
        long pid = Long.parseLong(Files.readString(pidFile).trim());
        try {
            return Files.readString(Path.of("/proc/" + pid + "/cmdline")).startsWith("lazysnap-fdkeeper\0")
                    ? ProcessHandle.of(pid) : Optional.empty();
        } catch (IOException gone) {
            return Optional.empty();
        }
    }

    /** Kills the lazysnap-fdkeeper of every lazysnap root up to two levels below {@code dir}. */
    public static void stopFdKeepers(Path dir) throws IOException {
        try (var files = Files.find(dir, 3, (p, a) -> p.endsWith("handover/keeper.pid"))) {
            for (Path pidFile : files.toList()) {
                fdKeeper(pidFile.getParent().getParent()).ifPresent(p -> {
                    p.destroyForcibly();
                    p.onExit().join();
                });
            }
        }
    }

    /** Kills the containerd shims started for the containerd whose files live under {@code dir}. */
    public static void killShimsUnder(Path dir) {
        // Shims outlive containerd by design; ours carry our socket path on their command line.
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().orElse("").matches("\\S*containerd-shim.*" + dir + ".*"))
                .forEach(ProcessHandle::destroyForcibly);
    }

    @FunctionalInterface
    public interface Check {
        boolean ok() throws Exception;
    }
}
