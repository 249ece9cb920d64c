package io.lazysnap.bench;

import io.lazysnap.testkit.Registry;
import io.lazysnap.testkit.Processes;
import io.lazysnap.testkit.TcpProxy;
import io.lazysnap.testkit.Pacer;
import io.lazysnap.testkit.Cleanup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A docker-registry behind a shaped link. Preferred: the registry in a network namespace of ours, reached over a
 * veth pair whose namespace end is rate limited with {@code tbf} (so the registry's replies queue in the
 * kernel), and a {@link TcpProxy} on 127.0.0.1 adding the round-trip time. Where namespaces are unavailable the
 * registry listens on 127.0.0.1 and the proxy shapes bandwidth as well. {@link #shaping()} says which. An
 * {@code -https} link's registry serves HTTPS, with a second, plain-HTTP registry on the same storage for pushes.
 *
 * <p>{@code dir} (config, log) is ours and removed on close. Images are pushed to {@link #pushAddress()}, which bypasses the shaping; nodes pull from {@link #pullHost()}.
 */
final class ShapedNetwork implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ShapedNetwork.class);
    private static final int REGISTRY_PORT = 5000;

    private final Link link;
    private final Path dir;
    private final String tag = "lzsb" + ProcessHandle.current().pid();
    private boolean namespaceCreated;
    private Registry registry;
    private Registry pushRegistry;
    private TcpProxy proxy;
    private String shaping;
    private final ExitGuard guard = ExitGuard.of(this);

    private ShapedNetwork(Link link, Path dir) {
        this.link = link;
        this.dir = dir;
    }

    /** Brings the link up; {@code storage} is the registry's (reused) data directory. */
    static ShapedNetwork start(Link link, Path dir, Path storage) throws Exception {
        ShapedNetwork net = new ShapedNetwork(link, dir);
        try {
            net.startRegistry(storage);
            return net;
        } catch (Exception e) {
            net.close();
            throw e;
        }
    }

    private void startRegistry(Path storage) throws Exception {
        Registry.Builder builder = Registry.on(dir).storage(storage);
        Pacer pacer = null;
        String ip = "127.0.0.1";
        try {
            ip = createNamespace();
            builder.listen(ip, REGISTRY_PORT).prefix(List.of("ip", "netns", "exec", tag));
            shaping = "netns + veth, tbf " + link.megabitsPerSecond() + " Mbit/s on the registry's egress; "
                    + "userspace delay proxy " + link.rttMillis() + " ms RTT";
        } catch (IOException e) {
            LOG.warn("no network namespace ({}); shaping bandwidth in userspace instead", e.getMessage());
            pacer = new Pacer(link.bytesPerSecond());
            shaping = "userspace proxy only (no netns): token bucket " + link.megabitsPerSecond() + " Mbit/s, "
                    + link.rttMillis() + " ms RTT";
        }
        if (link.https()) {
            builder.yaml(tls(ip));
        }
        registry = builder.start();
        if (link.https()) {
            // Images are pushed over plain HTTP, to a second registry on the same storage.
            pushRegistry = Registry.on(Files.createDirectories(dir.resolve("push"))).storage(storage).start();
            shaping += "; HTTPS (self-signed certificate; nodes pull from loopback, which skips verification)";
        }
        proxy = TcpProxy.shaped(registry.address(), link.rttMillis(), pacer);
        LOG.info("registry {} behind {}: {}", registry.host(), pullHost(), shaping);
    }

    /** A self-signed certificate for {@code ip} and 127.0.0.1, and the registry config lines that serve it. */
    private String tls(String ip) throws IOException, InterruptedException {
        Path certs = Files.createDirectories(dir.resolve("tls"));
        Path certificate = certs.resolve("tls.crt");
        Path key = certs.resolve("tls.key");
        Processes.run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                "-days", "2", "-subj", "/CN=lazysnap bench registry", "-addext",
                "subjectAltName=IP:127.0.0.1,IP:" + ip, "-keyout", key.toString(), "-out", certificate.toString());
        return String.join("\n", "  tls:", "    certificate: " + certificate, "    key: " + key);
    }

    /** Creates namespace, veth pair and qdisc; returns the registry's address inside the namespace. */
    private String createNamespace() throws IOException, InterruptedException {
        // A /30 of our own per process, so concurrent runs do not collide.
        int net = (int) (ProcessHandle.current().pid() % 63) * 4;
        String host = "10.213." + net / 256 + "." + (net % 256 + 1);
        String inside = "10.213." + net / 256 + "." + (net % 256 + 2);
        String hostEnd = tag + "h";
        String nsEnd = tag + "n";
        Processes.run("ip", "netns", "add", tag);
        namespaceCreated = true;
        Processes.run("ip", "link", "add", hostEnd, "type", "veth", "peer", "name", nsEnd, "netns", tag);
        Processes.run("ip", "addr", "add", host + "/30", "dev", hostEnd);
        Processes.run("ip", "link", "set", hostEnd, "up");
        Processes.run("ip", "netns", "exec", tag, "ip", "addr", "add", inside + "/30", "dev", nsEnd);
        Processes.run("ip", "netns", "exec", tag, "ip", "link", "set", nsEnd, "up");
        Processes.run("ip", "netns", "exec", tag, "ip", "link", "set", "lo", "up");
        // The burst must hold at least one timer tick of traffic at this rate, and a full GSO segment.
        long burst = Math.max(64 << 10, link.bytesPerSecond() / 250);
        Processes.run("ip", "netns", "exec", tag, "tc", "qdisc", "add", "dev", nsEnd, "root", "tbf",
                "rate", link.megabitsPerSecond() + "mbit", "burst", Long.toString(burst), "latency", "100ms");
        return inside;
    }

    /** {@code host:port} a node pulls from: shaped and counted. */
    String pullHost() {
        return proxy.host();
    }

    /** {@code host:port} to push test images to, unshaped and in plain HTTP. */
    String pushAddress() {
        return (pushRegistry != null ? pushRegistry : registry).host();
    }

    TcpProxy proxy() {
        return proxy;
    }

    String shaping() {
        return shaping;
    }

    @Override
    public void close() throws Exception {
        guard.release();
        new Cleanup()
                .step(() -> {
                    if (proxy != null) {
                        proxy.close();
                    }
                })
                .step(() -> {
                    if (registry != null) {
                        registry.close();
                    }
                })
                .step(() -> {
                    if (pushRegistry != null) {
                        pushRegistry.close();
                    }
                })
                // Deleting the namespace takes its veth end, and so the pair, with it.
                .step(() -> {
                    if (namespaceCreated) {
                        Processes.run("ip", "netns", "delete", tag);
                    }
                })
                .step(() -> Processes.run("rm", "-rf", "--one-file-system", dir.toString()))
                .done();
    }
}
