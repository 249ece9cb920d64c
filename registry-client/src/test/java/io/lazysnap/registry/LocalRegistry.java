package io.lazysnap.registry;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real distribution registry ({@code docker-registry serve}, Debian's package) on 127.0.0.1 with its storage
 * in a temporary directory. Closing it kills the process by PID.
 */
final class LocalRegistry implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/bin/docker-registry");

    private final Process process;
    private final int port;
    private final Path log;

    private LocalRegistry(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
    }

    /** Starts a registry; {@code extraConfig} is appended to the YAML config (e.g. an {@code auth:} section). */
    static LocalRegistry start(Path dir, String extraConfig) throws IOException, InterruptedException {
        if (!Files.isExecutable(BINARY)) {
            throw new IllegalStateException(BINARY + " is missing: install Debian's docker-registry package"
                    + " (apt-get install docker-registry) to run the real-registry tests");
        }
        int port = freePort();
        Path storage = Files.createDirectories(dir.resolve("storage"));
        Path config = dir.resolve("config.yml");
        Files.writeString(config, String.join("\n",
                "version: 0.1",
                "log:",
                "  level: info",
                "storage:",
                "  filesystem:",
                "    rootdirectory: " + storage,
                "  delete:",
                "    enabled: true",
                "http:",
                "  addr: 127.0.0.1:" + port,
                extraConfig, ""));
        Path log = dir.resolve("registry.log");
        Process process = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        LocalRegistry registry = new LocalRegistry(process, port, log);
        try {
            registry.awaitReady(Duration.ofSeconds(20));
        } catch (IOException | RuntimeException | InterruptedException e) {
            registry.close();
            throw e;
        }
        return registry;
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IOException("docker-registry exited with " + process.exitValue() + ":\n"
                        + Files.readString(log));
            }
            try {
                HttpURLConnection c = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/v2/")
                        .toURL().openConnection();
                c.setConnectTimeout(500);
                c.getResponseCode(); // any answer (200, or 401 with auth on) means it is serving
                c.disconnect();
                return;
            } catch (IOException notYet) {
                Thread.sleep(100);
            }
        }
        throw new IOException("docker-registry did not answer within " + timeout + ":\n" + Files.readString(log));
    }

    /** {@code 127.0.0.1:<port>}, the registry part of references. */
    String host() {
        return "127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        ProcessHandle handle = ProcessHandle.of(process.pid()).orElse(null);
        if (handle != null) {
            handle.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                handle.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
