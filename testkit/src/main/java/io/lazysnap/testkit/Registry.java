package io.lazysnap.testkit;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A real distribution registry: Debian's {@code docker-registry serve} as a child process, spoken to over plain
 * HTTP, storing in a directory of the caller's. Closing it stops the process by PID.
 */
public final class Registry implements AutoCloseable {

    static final Path BINARY = Path.of("/usr/bin/docker-registry");

    private final Process process;
    private final InetSocketAddress address;
    private final Path log;

    private Registry(Process process, InetSocketAddress address, Path log) {
        this.process = process;
        this.address = address;
        this.log = log;
    }

    /** A registry on a free port of 127.0.0.1, storing under {@code dir}. */
    public static Registry start(Path dir) throws IOException, InterruptedException {
        return on(dir).start();
    }

    /** A registry to be configured, whose config, log and (by default) storage live under {@code dir}. */
    public static Builder on(Path dir) {
        return new Builder(dir);
    }

    public static final class Builder {
        private final Path dir;
        private Path storage;
        private String ip = "127.0.0.1";
        private int port;
        private String extraYaml = "";
        private List<String> prefix = List.of();

        private Builder(Path dir) {
            this.dir = dir;
        }

        /** Where blobs and manifests live (kept across registries, e.g. the bench's image cache). */
        public Builder storage(Path storage) {
            this.storage = storage;
            return this;
        }

        /** The address to listen on; port 0 picks a free one (on 127.0.0.1 only). */
        public Builder listen(String ip, int port) {
            this.ip = ip;
            this.port = port;
            return this;
        }

        /** Lines appended to the YAML config, e.g. an {@code auth:} section. */
        public Builder yaml(String extra) {
            this.extraYaml = extra;
            return this;
        }

        /** A command the registry runs under, e.g. {@code ip netns exec <ns>}. */
        public Builder prefix(List<String> command) {
            this.prefix = List.copyOf(command);
            return this;
        }

        public Registry start() throws IOException, InterruptedException {
            if (!Files.isExecutable(BINARY)) {
                throw new IllegalStateException(BINARY + " is missing: install Debian's docker-registry package"
                        + " (apt-get install docker-registry)");
            }
            InetSocketAddress address = new InetSocketAddress(ip, port == 0 ? Processes.freePort() : port);
            Path data = Files.createDirectories(storage != null ? storage : dir.resolve("storage"));
            Path config = Files.writeString(dir.resolve("registry.yml"), String.join("\n",
                    "version: 0.1",
                    "log:",
                    "  level: warn",
                    "storage:",
                    "  filesystem:",
                    "    rootdirectory: " + data,
                    "  delete:",
                    "    enabled: true",
                    "http:",
                    "  addr: " + address.getHostString() + ":" + address.getPort(),
                    extraYaml, ""));
            List<String> command = new ArrayList<>(prefix);
            command.addAll(List.of(BINARY.toString(), "serve", config.toString()));
            Path log = dir.resolve("registry.log");
            Registry registry = new Registry(Processes.start(log, command), address, log);
            try {
                Processes.awaitReady("docker-registry", Duration.ofSeconds(30), registry.process, log,
                        registry::listening);
            } catch (IOException | InterruptedException | RuntimeException e) {
                registry.close();
                throw e;
            } catch (Exception e) {
                registry.close();
                throw new IOException(e);
            }
            return registry;
        }
    }

    private boolean listening() {
        try (Socket ignored = new Socket(address.getAddress(), address.getPort())) {
            return true;
        } catch (IOException notYet) {
            return false;
        }
    }

    /** {@code ip:port}, the registry part of references. */
    public String host() {
        return address.getHostString() + ":" + address.getPort();
    }

    public InetSocketAddress address() {
        return address;
    }

    public int port() {
        return address.getPort();
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws InterruptedException {
        Processes.stop(process);
    }
}
