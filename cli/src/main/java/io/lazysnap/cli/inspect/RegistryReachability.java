package io.lazysnap.cli.inspect;

import io.lazysnap.registry.RegistryClient;
import io.lazysnap.daemon.DaemonConfig;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Whether each registry the node is configured for ({@code hosts_dir} entries, {@code plain_http} hosts,
 * {@code [resolver]} mirrors) can be reached: a TCP connection, with a short timeout, to every host its pulls
 * would try, mirrors first. Connecting is enough to tell the common failures (DNS, firewall, a mirror that is
 * down) without credentials or TLS settings.
 */
final class RegistryReachability {

    private final DaemonConfig config;
    private final Duration timeout;

    RegistryReachability(DaemonConfig config, Duration timeout) {
        this.config = config;
        this.timeout = timeout;
    }

    List<Check> run() {
        List<Check> checks = new ArrayList<>();
        try (RegistryClient client = config.registryClient().build()) {
            for (String registry : configuredRegistries()) {
                checks.add(check(registry, client));
            }
        } catch (RuntimeException e) {
            checks.add(Check.fail("registry hosts", e.getMessage(), "fix the hosts.toml file or [resolver] mirror"
                    + " it names"));
        }
        return checks;
    }

    private Check check(String registry, RegistryClient client) {
        String subject = "registry " + registry;
        List<URI> hosts = client.pullHosts(registry);
        List<String> reached = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (URI host : hosts) {
            String name = host.getScheme() + "://" + host.getHost() + ":" + port(host);
            try (Socket socket = new Socket()) {
                socket.connect(new InetSocketAddress(host.getHost(), port(host)), (int) timeout.toMillis());
                reached.add(name);
            } catch (IOException e) {
                failed.add(name + " (" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")");
            }
        }
        if (failed.isEmpty()) {
            return Check.ok(subject, "reachable: " + String.join(", ", reached)
                    + (hosts.size() == 1 ? " (no mirror: every node pulls from it directly)" : ""));
        }
        String detail = "cannot connect to " + String.join(", ", failed);
        String fix = "check DNS, routes and firewalls from this node to the host, or remove it from hosts_dir /"
                + " [resolver] if it is gone";
        return reached.isEmpty() ? Check.fail(subject, detail + ": pulls of its images fail", fix)
                : Check.warn(subject, detail + "; " + String.join(", ", reached) + " reachable, so every pull"
                + " first waits for the dead host's retries", fix);
    }

    private static int port(URI host) {
        return host.getPort() >= 0 ? host.getPort() : host.getScheme().equals("http") ? 80 : 443;
    }

    /** Registries named by the config: hosts_dir's directories, plain_http hosts and [resolver] mirrors' keys. */
    private Set<String> configuredRegistries() {
        Set<String> registries = new TreeSet<>(config.registry().plainHttp());
        registries.addAll(config.resolver().host().keySet());
        Path dir = Path.of(config.registry().hostsDir());
        if (Files.isDirectory(dir)) {
            try (Stream<Path> hosts = Files.list(dir)) {
                hosts.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                        .filter(n -> !n.equals("_default")).map(RegistryReachability::namespace)
                        .forEach(registries::add);
            } catch (IOException e) {
                // an unreadable hosts_dir shows up as failed pulls; nothing to list here
            }
        }
        return registries;
    }

    /** containerd's {@code host_port_} directory name back to {@code host:port}. */
    private static String namespace(String directory) {
        return directory.matches(".+_\\d+_") ? directory.substring(0, directory.length() - 1)
                .replaceFirst("_(\\d+)$", ":$1") : directory;
    }
}
