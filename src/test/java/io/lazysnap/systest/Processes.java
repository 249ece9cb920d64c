package io.lazysnap.systest;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Running commands and services for system tests; every failure message carries the command's output. */
final class Processes {

    private Processes() {
    }

    /** Runs a command to completion and returns its standard output; fails with its output on a non-zero exit. */
    static String run(Duration timeout, String... command) throws IOException, InterruptedException {
        return run(timeout, List.of(command));
    }

    static String run(Duration timeout, List<String> command) throws IOException, InterruptedException {
        return run(timeout, Map.of(), command);
    }

    /** Runs {@code command} with {@code environment} added to this process's. */
    static String run(Duration timeout, Map<String, String> environment, List<String> command)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("cmd", ".out");
        Path err = Files.createTempFile("cmd", ".err");
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

    /** Starts a long-running service with its output appended to {@code log}. */
    static Process start(Path log, List<String> command) throws IOException {
        return start(log, command, Map.of());
    }

    static Process start(Path log, List<String> command, Map<String, String> environment) throws IOException {
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        b.environment().putAll(environment);
        return b.start();
    }

    /** SIGTERM, then SIGKILL after a grace period; returns the exit code. */
    static int stop(Process p) throws InterruptedException {
        if (p == null || !p.isAlive()) {
            return p == null ? 0 : p.exitValue();
        }
        p.destroy();
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
        return p.exitValue();
    }

    static void kill9(Process p) throws InterruptedException {
        p.destroyForcibly().waitFor();
    }

    static void waitFor(String what, Duration timeout, Process p, Path log, Check check) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!check.ok()) {
            if (!p.isAlive()) {
                throw new IOException(what + " exited with " + p.exitValue() + ":\n" + tail(log));
            }
            if (System.nanoTime() > deadline) {
                throw new IOException(what + " not ready after " + timeout + ":\n" + tail(log));
            }
            Thread.sleep(100);
        }
    }

    static String tail(Path log) throws IOException {
        List<String> lines = Files.exists(log) ? Files.readAllLines(log) : List.of();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** Mount points at or below {@code dir}, deepest first, from /proc/self/mountinfo. */
    static List<String> mountsUnder(Path dir) throws IOException {
        List<String> found = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String point = line.split(" ")[4].replace("\\040", " ");
            if (point.startsWith(dir.toString())) {
                found.add(point);
            }
        }
        found.sort((a, b) -> b.length() - a.length());
        return found;
    }

    @FunctionalInterface
    interface Check {
        boolean ok() throws Exception;
    }
}
