package io.lazysnap.registry;

import io.lazysnap.testkit.Registry;
import io.lazysnap.estargz.BlobSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.EOFException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Push, resolve and lazy reads against a real distribution registry started for this class. */
class RealRegistryTest {

    @TempDir
    static Path dir;
    static Registry registry;
    static RegistryClient client;

    @BeforeAll
    static void start() throws Exception {
        registry = Registry.start(dir);
        client = RegistryClient.builder().plainHttp(registry.host()).uploadChunkSize(256 << 10).build();
    }

    @AfterAll
    static void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (registry != null) {
            registry.close();
        }
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void pushesThenResolvesAndReadsRanges() throws Exception {
        Reference ref = Reference.parse(registry.host() + "/lazysnap/app:v1");
        byte[] layer = random(1_500_000, 1);
        byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\"}}".getBytes();
        Descriptor layerDesc = client.pushBlob(ref, MediaTypes.OCI_LAYER_GZIP, layer);
        Descriptor configDesc = client.pushBlob(ref, MediaTypes.OCI_CONFIG, config);
        Manifest manifest = Manifest.build(configDesc, List.of(layerDesc.withAnnotations(
                Map.of("containerd.io/snapshot/stargz/toc.digest", Digests.sha256(new byte[1])))), Map.of());
        Descriptor pushed = client.pushManifest(ref, MediaTypes.OCI_MANIFEST, manifest.bytes());
        assertEquals(manifest.descriptor().digest(), pushed.digest());

        ResolvedImage resolved = client.resolve(ref.toString());
        assertEquals(ref.withDigest(pushed.digest()), resolved.reference());
        assertTrue(resolved.index().isEmpty());
        assertArrayEquals(manifest.bytes(), resolved.manifest().bytes());
        assertEquals(layerDesc.digest(), resolved.manifest().layers().get(0).digest());
        assertEquals(Digests.sha256(new byte[1]), resolved.manifest().layers().get(0).annotations()
                .get("containerd.io/snapshot/stargz/toc.digest"));
        assertArrayEquals(config, client.blob(ref, resolved.manifest().config()));

        try (BlobSource source = client.blobSource(ref, resolved.manifest().layers().get(0))) {
            assertEquals(layer.length, source.size());
            Random r = new Random(7);
            for (int i = 0; i < 20; i++) {
                int off = r.nextInt(layer.length - 70_000);
                int len = 1 + r.nextInt(65_536);
                assertArrayEquals(Arrays.copyOfRange(layer, off, off + len), source.read(off, len), "range " + off);
            }
            assertArrayEquals(Arrays.copyOfRange(layer, layer.length - 51, layer.length),
                    source.read(layer.length - 51, 51), "footer-sized tail");
            assertThrows(EOFException.class, () -> source.read(layer.length - 10, 11));
        }
    }

    @Test
    void resolvesIndexesByPlatformAndMountsAcrossRepositories() throws Exception {
        Reference ref = Reference.parse(registry.host() + "/lazysnap/multi:latest");
        Descriptor config = client.pushBlob(ref, MediaTypes.OCI_CONFIG, "{}".getBytes());
        List<Descriptor> entries = new ArrayList<>();
        for (String platform : List.of("linux/amd64", "linux/arm64/v8", "linux/arm/v6")) {
            Descriptor layer = client.pushBlob(ref, MediaTypes.OCI_LAYER_GZIP, platform.getBytes());
            Manifest m = Manifest.build(config, List.of(layer), Map.of("platform", platform));
            Descriptor d = client.pushManifest(ref.withTag(platform.replace('/', '-')), MediaTypes.OCI_MANIFEST,
                    m.bytes());
            entries.add(Descriptor.of(d.mediaType(), d.digest(), d.size(), Map.of(), List.of(),
                    Platform.parse(platform)));
        }
        String indexJson = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
                + String.join(",", entries.stream().map(e -> Json.write(e).toString()).toList()) + "]}";
        client.pushManifest(ref, MediaTypes.OCI_INDEX, indexJson.getBytes());

        assertEquals("linux/arm64/v8", client.resolve(ref, Platform.parse("linux/aarch64")).manifest()
                .annotations().get("platform"));
        assertEquals("linux/arm/v6", client.resolve(ref, Platform.parse("linux/arm/v7")).manifest()
                .annotations().get("platform"), "an arm/v7 node runs arm/v6 images");
        ResolvedImage amd = client.resolve(ref.toString());
        assertEquals("linux/amd64", amd.manifest().annotations().get("platform"));
        assertArrayEquals(indexJson.getBytes(), amd.index().orElseThrow().bytes());
        RegistryException none = assertThrows(RegistryException.class,
                () -> client.resolve(ref, Platform.parse("windows/amd64")));
        assertTrue(none.getMessage().contains("windows/amd64"), none.getMessage());

        Reference other = Reference.parse(registry.host() + "/elsewhere/copy:v1");
        Descriptor layer = amd.manifest().layers().get(0);
        assertFalse(client.blobExists(other, layer.digest()));
        assertTrue(client.mountBlob(ref, other, layer));
        assertTrue(client.blobExists(other, layer.digest()));
        assertFalse(client.mountBlob(ref, other, Descriptor.of("x", new byte[]{9, 9, 9})),
                "mounting a blob the source lacks is declined");
    }

    @Test
    void pushesLargeFilesInChunksAndReportsMissingThings(@TempDir Path tmp) throws Exception {
        Reference ref = Reference.parse(registry.host() + "/lazysnap/big:v1");
        byte[] data = random(1_000_003, 3);
        Path file = Files.write(tmp.resolve("layer.bin"), data);
        List<String> methods = new CopyOnWriteArrayList<>();
        try (RegistryClient counting = RegistryClient.builder().plainHttp(registry.host())
                .uploadChunkSize(300_000)
                .listener(new RegistryListener() {
                    @Override
                    public void exchanged(String host, String method, int status, long nanos) {
                        methods.add(method);
                    }
                }).build()) {
            Descriptor d = counting.pushBlob(ref, MediaTypes.OCI_LAYER_GZIP, file);
            assertEquals(Digests.sha256(data), d.digest());
            assertEquals(4, methods.stream().filter("PATCH"::equals).count(), methods.toString());
            assertArrayEquals(data, counting.blob(ref, d));
            methods.clear();
            counting.pushBlob(ref, MediaTypes.OCI_LAYER_GZIP, file);
            assertEquals(List.of("HEAD"), methods, "a blob the registry has is not uploaded again");
        }
        RegistryException missing = assertThrows(RegistryException.class,
                () -> client.resolve(registry.host() + "/lazysnap/big:nope"));
        assertTrue(missing.isNotFound());
        assertTrue(missing.getMessage().contains(registry.host()), missing.getMessage());
        assertTrue(missing.getMessage().contains("MANIFEST_UNKNOWN"), missing.getMessage());
    }
}
