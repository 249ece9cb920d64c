package io.lazysnap.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs the machine's tools; a failure carries the command's output so a broken run explains itself. */
final class Commands {

    private Commands() {
    }

    /** Runs {@code command} to completion; returns its stdout, or fails with stdout and stderr on a non-zero exit. */
    static String run(Duration timeout, List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("lzs-bench", ".out");
        Path err = Files.createTempFile("lzs-bench", ".err");
        try {
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor();
                throw new IOException(String.join(" ", command) + " timed out after " + timeout);
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " exited " + p.exitValue() + ": " + stdout
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            return stdout;
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    static String run(String... command) throws IOException, InterruptedException {
        return run(Duration.ofMinutes(5), List.of(command));
    }

    /** Starts a service with stdout and stderr appended to {@code log}. */
    static Process start(Path log, List<String> command) throws IOException {
        return new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
    }

    /** SIGTERM, SIGKILL after 15 s. */
    static void stop(Process p) throws InterruptedException {
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        if (!p.waitFor(15, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
        }
    }

    /** Polls {@code ready} every 50 ms until it holds; fails early when {@code p} dies, with its log's tail. */
    static void awaitReady(String what, Process p, Path log, Duration timeout, Check ready) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!ready.ok()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                throw new IOException(what + (p.isAlive() ? " not ready after " + timeout : " exited " + p.exitValue())
                        + ":\n" + tail(log));
            }
            Thread.sleep(50);
        }
    }

    static String tail(Path log) throws IOException {
        if (!Files.exists(log)) {
            return "";
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }

    /**
     * Kills the lazysnap-fdkeeper of every lazysnap root below {@code dir}: it holds the mounts' FUSE connections
     * for a next daemon, which a finished node never has.
     */
    static void stopFdKeeper(Path dir) throws IOException {
        try (var files = Files.find(dir, 3, (p, a) -> p.endsWith("handover/keeper.pid"))) {
            for (Path pidFile : files.toList()) {
                long pid = Long.parseLong(Files.readString(pidFile).trim());
                String cmdline;
                try {
                    cmdline = Files.readString(Path.of("/proc/" + pid + "/cmdline"));
                } catch (IOException gone) {
                    continue;
                }
                // A recycled pid runs something else.
                if (cmdline.startsWith("lazysnap-fdkeeper\0")) {
                    ProcessHandle.of(pid).ifPresent(p -> {
                        p.destroyForcibly();
                        p.onExit().join();
                    });
                }
            }
        }
    }

    /** Mount points at or below {@code dir}, deepest first. */
    static List<String> mountsUnder(Path dir) throws IOException {
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

    @FunctionalInterface
    interface Check {
        boolean ok() throws Exception;
    }
}
