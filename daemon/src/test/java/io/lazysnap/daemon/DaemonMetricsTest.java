package io.lazysnap.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.testkit.Registry;
import io.lazysnap.daemon.root.Root;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A lazy pull through the real daemon (registry, TOC, FUSE), then a scrape of {@code metrics_address}. */
class DaemonMetricsTest {

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
    void aLazyPullShowsUpInTheScrapedSeries() throws Exception {
        int bigBytes = 3 << 20;
        EstargzImage image = LazyLayers.push(registry, "ops/app:1", bigBytes, tmp);
        Path config = LazyLayers.config(tmp, registry,
                "metrics_address = \"127.0.0.1:0\"",
                "policy = \"" + warnPolicy() + "\"",
                "[cache]",
                "memory_bytes = 16777216");
        Path socket = tmp.resolve("lazysnap.sock");
        try (Daemon daemon = Daemon.start(DaemonConfig.load(config).withOverrides(tmp.resolve("root"), socket))) {
            LazyLayers.prepareLazily(socket, image, "chain-1");
            assertEquals(bigBytes, Files.readAllBytes(mounted(tmp.resolve("root"), "big.bin")).length);

            String metrics = scrape(daemon.metricsPort().orElseThrow());
            assertEquals(1.0, value(metrics,
                    "lazysnap_grpc_request_duration_seconds_count{code=\"ALREADY_EXISTS\",method=\"Prepare\"}"));
            assertEquals(1.0, value(metrics, "lazysnap_mounted_layers"));
            assertTrue(value(metrics, "lazysnap_toc_heap_bytes") > 0, "the mounted layer's TOC is in the heap");
            assertTrue(value(metrics, "lazysnap_toc_heap_budget_bytes") > value(metrics, "lazysnap_toc_heap_bytes"));
            assertEquals(0.0, value(metrics, "lazysnap_toc_drops_total"), "nothing had to make room");
            assertTrue(value(metrics, "lazysnap_registry_request_duration_seconds_count{code=\"206\",host=\""
                    + registry.host() + "\",method=\"GET\"}") >= 1, "TOC and chunks were range reads");
            assertTrue(value(metrics, "lazysnap_layer_fetched_bytes_total{layer=\"" + image.layerDigest() + "\"}")
                    > 0);
            assertTrue(value(metrics, "lazysnap_range_read_duration_seconds_count") >= 1);
            assertTrue(value(metrics, "lazysnap_chunk_cache_misses_total") >= 1, "chunks fetched on first read");
            assertTrue(metrics.contains("lazysnap_chunk_cache_hits_total{tier=\"disk\"}"), metrics);
            assertTrue(value(metrics, "lazysnap_chunk_cache_size_bytes{tier=\"disk\"}") >= bigBytes);
            assertEquals(0.0, value(metrics, "lazysnap_chunk_cache_size_bytes{tier=\"memory\"}"),
                    "memory keeps only what the disk cache did not take");
            assertEquals(1.0, value(metrics, "lazysnap_signature_verdicts_total{outcome=\"warned\",rule=\"default rule\"}"));
            assertTrue(value(metrics, "lazysnap_registry_received_bytes_total{host=\"" + registry.host() + "\"}")
                    > 0, "bytes by registry host");
            assertTrue(value(metrics, "lazysnap_fuse_operation_duration_seconds_count{operation=\"read\"}") >= 1);
            assertTrue(value(metrics, "lazysnap_fuse_operation_duration_seconds_count{operation=\"getattr\"}") >= 1);
            assertEquals(1.0, value(metrics, "lazysnap_snapshots{kind=\"committed\"}"), "the remote layer");
            assertEquals(0.0, value(metrics, "lazysnap_snapshots_committed_size_bytes"), "lazy layers take no disk");
            assertEquals(0.0, value(metrics, "lazysnap_chunk_cache_disk_skipped_writes_total"));
            assertTrue(metrics.contains("jvm_memory_used_bytes"), "JVM metrics too");
        }
        try (Stream<String> mounts = Files.lines(Path.of("/proc/self/mounts"))) {
            assertTrue(mounts.noneMatch(l -> l.contains(tmp.toString())), "no mount left behind");
        }
    }

    /** A policy that checks every image but only warns: the layer gets a verdict and is still admitted. */
    private Path warnPolicy() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        String pem = "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'})
                .encodeToString(generator.generateKeyPair().getPublic().getEncoded()) + "\n-----END PUBLIC KEY-----\n";
        Path key = Files.writeString(tmp.resolve("cosign.pub"), pem);
        return Files.writeString(tmp.resolve("policy.toml"),
                "[default]\nmode = \"warn\"\nkeys = [\"" + key + "\"]\n");
    }

    private static Path mounted(Path root, String file) throws IOException {
        try (Stream<Path> dirs = Files.list(new Root(root).snapshots())) {
            return dirs.map(d -> d.resolve("fs").resolve(file)).filter(Files::exists).findFirst().orElseThrow();
        }
    }

    static String scrape(int port) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        return response.body();
    }

    /** The value of one series in the text exposition format. */
    static double value(String exposition, String series) {
        Matcher m = Pattern.compile("^" + Pattern.quote(series) + " (\\S+)$", Pattern.MULTILINE).matcher(exposition);
        assertTrue(m.find(), () -> series + " not in:\n" + exposition);
        return Double.parseDouble(m.group(1));
    }
}
