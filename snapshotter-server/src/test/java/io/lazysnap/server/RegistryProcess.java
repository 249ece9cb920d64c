package io.lazysnap.server;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Debian's {@code docker-registry} as a child process on a free loopback port; closing it kills that process. */
final class RegistryProcess implements AutoCloseable {

    private final Process process;
    private final String host;

    private RegistryProcess(Process process, String host) {
        this.process = process;
        this.host = host;
    }

    static RegistryProcess start(Path dir) throws IOException, InterruptedException {
        int port;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = probe.getLocalPort();
        }
        Path yml = Files.writeString(dir.resolve("registry.yml"), String.format(
                "version: 0.1%nlog: {level: warn}%nstorage: {filesystem: {rootdirectory: %s}}%nhttp: {addr: '127.0.0.1:%d'}%n",
                Files.createDirectories(dir.resolve("blobs")), port));
        Path out = dir.resolve("registry.out");
        RegistryProcess registry = new RegistryProcess(new ProcessBuilder("/usr/bin/docker-registry", "serve",
                yml.toString()).redirectErrorStream(true).redirectOutput(out.toFile()).start(), "127.0.0.1:" + port);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline && registry.process.isAlive()) {
            try (Socket ignored = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return registry;
            } catch (IOException notListening) {
                Thread.sleep(50);
            }
        }
        registry.close();
        throw new IOException("docker-registry did not start: " + Files.readString(out));
    }

    /** {@code 127.0.0.1:port}, spoken to over plain HTTP. */
    String host() {
        return host;
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
