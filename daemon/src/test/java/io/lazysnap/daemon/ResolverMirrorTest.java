package io.lazysnap.daemon;

import static io.lazysnap.daemon.DaemonMetricsTest.scrape;
import static io.lazysnap.daemon.DaemonMetricsTest.value;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Registry;
import io.lazysnap.daemon.root.Root;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** stargz-snapshotter's {@code [[resolver.host."…".mirrors]]} through the daemon and a real docker-registry. */
class ResolverMirrorTest {

    private static final int BIG = 1 << 20;

    @TempDir
    Path tmp;
    private Registry registry;

    @BeforeEach
    void startRegistry() throws Exception {
        registry = Registry.start(Files.createDirectories(tmp.resolve("registry")));
    }

    @AfterEach
    void stopRegistry() throws Exception {
        registry.close();
    }

    @Test
    void aDeadMirrorHandsOverToTheRegistry() throws Exception {
        EstargzImage image = LazyLayers.push(registry, "ops/app:1", BIG, tmp);
        String dead = deadHost();
        Path config = LazyLayers.config(tmp, registry,
                "metrics_address = \"127.0.0.1:0\"",
                "[blob]",
                "max_retries = 0",
                "[[resolver.host.\"" + registry.host() + "\".mirrors]]",
                "host = \"" + dead + "\"",
                "insecure = true");
        String metrics = pullAndRead(config, image);
        assertTrue(value(metrics, "lazysnap_registry_fallbacks_total{host=\"" + dead + "\"}") >= 1);
        assertTrue(value(metrics, "lazysnap_registry_received_bytes_total{host=\"" + registry.host() + "\"}") > 0);
    }

    @Test
    void aWorkingMirrorServesARegistryThatIsDown() throws Exception {
        EstargzImage atMirror = LazyLayers.push(registry, "ops/app:1", BIG, tmp);
        String upstream = deadHost();
        EstargzImage image = new EstargzImage(upstream + "/ops/app:1", atMirror.manifestDigest(),
                atMirror.layerDigest());
        Path config = LazyLayers.config(tmp, registry,
                "metrics_address = \"127.0.0.1:0\"",
                "[[resolver.host.\"" + upstream + "\".mirrors]]",
                "host = \"" + registry.host() + "\"",
                "insecure = true",
                "header = { X-Mirror-Test = \"1\" }");
        String metrics = pullAndRead(config, image);
        assertTrue(value(metrics, "lazysnap_registry_received_bytes_total{host=\"" + registry.host() + "\"}") > 0);
        assertTrue(!metrics.contains("host=\"" + upstream + "\""), "the registry itself was never needed");
    }

    /** Serves the image's layer lazily, reads its big file through FUSE, and returns the scraped metrics. */
    private String pullAndRead(Path config, EstargzImage image) throws Exception {
        Path socket = tmp.resolve("lazysnap.sock");
        Path root = tmp.resolve("root");
        try (Daemon daemon = Daemon.start(DaemonConfig.load(config).withOverrides(root, socket))) {
            LazyLayers.prepareLazily(socket, image, "chain-1");
            try (Stream<Path> dirs = Files.list(new Root(root).snapshots())) {
                Path big = dirs.map(d -> d.resolve("fs/big.bin")).filter(Files::exists).findFirst().orElseThrow();
                assertEquals(BIG, Files.readAllBytes(big).length);
            }
            return scrape(daemon.metricsPort().orElseThrow());
        }
    }

    /** A loopback port nothing listens on. */
    private static String deadHost() throws IOException {
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return "127.0.0.1:" + probe.getLocalPort();
        }
    }
}
