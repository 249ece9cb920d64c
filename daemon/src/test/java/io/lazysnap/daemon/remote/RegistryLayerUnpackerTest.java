package io.lazysnap.daemon.remote;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.lazysnap.daemon.snapshot.LayerLabels;
import io.lazysnap.daemon.snapshot.LayerUnpacker;
import io.lazysnap.daemon.unpack.ChainIds;
import io.lazysnap.daemon.unpack.FetchPool;
import io.lazysnap.estargz.EntryType;
import io.lazysnap.estargz.TarHeader;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Platform;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Plain layers of an image pulled through the daemon start before containerd prepares any of them. */
class RegistryLayerUnpackerTest {

    @TempDir
    Path dir;

    private final ExecutorService unpackers = Executors.newFixedThreadPool(2);
    private final FetchPool pool = new FetchPool(4);
    private MockBlobRegistry server;
    private RegistryClient registry;
    private Manifests manifests;
    private final List<String> layers = new ArrayList<>();
    private final List<String> diffIds = new ArrayList<>();

    @BeforeEach
    void start() throws IOException {
        server = new MockBlobRegistry();
        registry = RegistryClient.builder().plainHttp(server.host()).retries(1, Duration.ZERO, Duration.ZERO).build();
        manifests = new Manifests(registry, Platform.LINUX_AMD64);
    }

    @AfterEach
    void stop() throws IOException {
        unpackers.shutdownNow();
        pool.close();
        registry.close();
        server.close();
    }

    @Test
    void aPullStartsTheMissingLayersBeforeAnyPrepareAndEachPrepareClaimsItsOwn() throws Exception {
        Reference image = publish("team/app", "base", "app", "top");
        Manifest manifest = manifests.current(image);
        RegistryLayerUnpacker unpacker = unpacker();
        List<String> missing = layers.subList(1, 3); // the node has the base layer already

        unpacker.ahead(image, manifest, missing);

        for (String layer : missing) {
            MockBlobRegistry.waitUntil(() -> server.requests("/blobs/" + layer) == 1);
        }
        List<String> chain = ChainIds.of(diffIds);
        for (int i = 1; i < layers.size(); i++) {
            Optional<LayerUnpacker.UnpackedLayer> unpacked = unpacker.unpack(prepare(image, manifest, i, chain.get(i)));
            assertTrue(unpacked.isPresent());
            Path fs = dir.resolve("snapshot-" + i);
            unpacked.get().moveTo(fs, List.of());
            String name = List.of("base", "app", "top").get(i);
            assertEquals(name + " content\n", Files.readString(fs.resolve(name + ".txt")));
        }
        assertEquals(0, server.requests("/blobs/" + layers.get(0)), "the layer the node has: " + server.paths());
        for (String layer : missing) {
            assertEquals(1, server.requests("/blobs/" + layer), "each layer downloaded once: " + server.paths());
        }
        assertEquals(1, server.requests("/blobs/" + manifest.config().digest()),
                "one config fetch for the layers that asked at once: " + server.paths());
    }

    @Test
    void aConfigThatCannotBeFetchedFailsTheLayerWithTheReasonAndIsFetchedAgainNextTime() throws Exception {
        Reference image = publish("team/noconfig", "base");
        Manifest manifest = manifests.current(image);
        server.forget(manifest.config().digest());
        RegistryLayerUnpacker unpacker = unpacker();
        LayerLabels layer = prepare(image, manifest, 0, ChainIds.of(diffIds).get(0));

        IOException failed = assertThrows(IOException.class, () -> unpacker.unpack(layer));

        assertTrue(failed.getMessage().contains(manifest.config().digest()), failed.getMessage());
        try (var scratch = Files.list(dir.resolve("scratch"))) {
            assertEquals(0, scratch.count(), "nothing left unpacked");
        }
        long fetches = server.requests("/blobs/" + manifest.config().digest());
        assertThrows(IOException.class, () -> unpacker.unpack(layer));
        assertTrue(server.requests("/blobs/" + manifest.config().digest()) > fetches, "a failure is not cached");
    }

    private RegistryLayerUnpacker unpacker() throws IOException {
        return new RegistryLayerUnpacker(registry, manifests, layer -> false, pool, 1 << 20, 2,
                dir.resolve("scratch"), unpackers);
    }

    /** What containerd's Prepare of layer {@code i} says, labelled as the daemon's rpull labels it. */
    private LayerLabels prepare(Reference image, Manifest manifest, int i, String chainId) {
        return new LayerLabels(chainId, image.toString(), layers.get(i), Optional.of(manifest.descriptor().digest()),
                layers.subList(i, layers.size()), List.of(), false);
    }

    /** Serves {@code repository:v1}, one gzip layer per name holding {@code <name>.txt}; its reference. */
    private Reference publish(String repository, String... names) throws IOException {
        List<String> descriptors = new ArrayList<>();
        for (String name : names) {
            byte[] tar = tar(name + ".txt", (name + " content\n").getBytes(StandardCharsets.UTF_8));
            ByteArrayOutputStream gzip = new ByteArrayOutputStream();
            try (GZIPOutputStream out = new GZIPOutputStream(gzip)) {
                out.write(tar);
            }
            byte[] blob = gzip.toByteArray();
            String digest = server.blob(blob);
            layers.add(digest);
            diffIds.add(MockBlobRegistry.sha256(tar));
            descriptors.add("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" + digest
                    + "\",\"size\":" + blob.length + "}");
        }
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + String.join("\",\"", diffIds) + "\"]}}").getBytes(StandardCharsets.UTF_8);
        server.publish(repository, config, descriptors);
        return Reference.parse(server.host() + "/" + repository + ":v1");
    }

    private static byte[] tar(String name, byte[] content) {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        tar.writeBytes(new TarHeader(name, EntryType.REG, "", 0644, 0, 0, content.length, Instant.EPOCH, "", "", 0, 0,
                Map.of()).encode());
        tar.writeBytes(content);
        tar.writeBytes(new byte[TarHeader.padding(content.length)]);
        tar.writeBytes(new byte[1024]);
        return tar.toByteArray();
    }
}
