package io.lazysnap.systest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.luben.zstd.ZstdInputStream;
import io.lazysnap.estargz.EstargzLayer;
import io.lazysnap.estargz.LayerAnnotations;
import io.lazysnap.estargz.Toc;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Index;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.MediaTypes;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code lazysnap convert} against a real registry: every converted layer is a seekable layer whose TOC matches its
 * annotation and whose decompressed tar is the config's diffID, prioritised files sit before the prefetch landmark,
 * and the result still runs through plain containerd (eStargz is valid gzip) and through lazysnap, lazily when
 * pulled with {@code lazysnap rpull}.
 */
class ConvertTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static Stack stack;
    private static RegistryClient registry;
    private static String plain;

    @BeforeAll
    static void setUp() throws Exception {
        stack = Stack.start();
        registry = RegistryClient.builder().plainHttp(stack.registry).build();
        plain = HelloImage.push(stack, "systest/plain");
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (registry != null) {
            registry.close();
        }
        if (stack != null) {
            stack.close();
        }
    }

    @Test
    void estargzLayersAreVerifiableAndTheImageRunsEverywhere() throws Exception {
        String dst = stack.registry + "/systest/converted:v1";
        String out = LazysnapCli.convert("--prioritize", "/bin/sh", "--prioritize", "etc/hello.txt", plain, dst);
        assertTrue(out.contains("pushed " + dst + "@sha256:"), out);
        assertEquals(3, out.lines().filter(l -> l.contains(" converted ")).count(), out);

        Manifest manifest = registry.manifest(Reference.parse(dst));
        assertEquals(MediaTypes.OCI_MANIFEST, manifest.descriptor().mediaType());
        List<EstargzLayer> layers = checkLayers(dst, manifest, "application/vnd.oci.image.layer.v1.tar+gzip");
        assertPrioritized(layers.get(0).toc(), "bin/sh");
        assertPrioritized(layers.get(1).toc(), "etc/hello.txt");
        // Layer 3 holds no prioritised file: no file of it may sit before a prefetch landmark.
        List<String> third = layers.get(2).toc().entries().stream().map(e -> e.path()).toList();
        int landmark = third.indexOf(Toc.PREFETCH_LANDMARK);
        assertTrue(landmark < 0 || third.subList(0, landmark).stream().noneMatch(p -> p.startsWith("data/msg")),
                third.toString());

        stack.ctr("image", "pull", "--plain-http", dst);
        assertEquals(HelloImage.OUTPUT, stack.ctr("run", "--rm", dst, "convert-overlayfs"), stack.logs());
        stack.ctr("image", "pull", "--plain-http", "--snapshotter", "lazysnap", dst);
        assertEquals(HelloImage.OUTPUT, stack.ctr("run", "--rm", "--snapshotter", "lazysnap", dst, "convert-lazysnap"),
                stack.logs());
    }

    @Test
    void zstdChunkedLayersAreVerifiableAndRun() throws Exception {
        String dst = stack.registry + "/systest/converted-zstd:v1";
        LazysnapCli.convert("--zstdchunked", plain, dst);
        checkLayers(dst, registry.manifest(Reference.parse(dst)), "application/vnd.oci.image.layer.v1.tar+zstd");
        stack.ctr("image", "pull", "--plain-http", dst);
        assertEquals(HelloImage.OUTPUT, stack.ctr("run", "--rm", dst, "convert-zstd"), stack.logs());
    }

    @Test
    void indexesAreConvertedPerPlatformWithoutAttestations() throws Exception {
        Descriptor source = registry.manifest(Reference.parse(plain)).descriptor();
        String indexRef = stack.registry + "/systest/plain:index";
        pushIndex(indexRef, source);
        String dst = stack.registry + "/systest/converted:index";
        LazysnapCli.convert(indexRef, dst);

        Index index = registry.index(Reference.parse(dst));
        assertEquals(1, index.manifests().size(), "the unknown/unknown entry is dropped: " + index.manifests());
        Descriptor entry = index.manifests().get(0);
        assertEquals("linux/amd64", entry.platform().orElseThrow().toString());
        Manifest manifest = registry.manifest(Reference.parse(dst).withDigest(entry.digest()));
        checkLayers(dst, manifest, "application/vnd.oci.image.layer.v1.tar+gzip");
        stack.ctr("image", "pull", "--plain-http", dst);
        assertEquals(HelloImage.OUTPUT, stack.ctr("run", "--rm", dst, "convert-index"), stack.logs());
    }

    @Test
    void convertedImageIsServedLazilyThroughRpull() throws Exception {
        String dst = stack.registry + "/systest/converted-rpull:v1";
        LazysnapCli.convert("--prioritize", "/data/msg", plain, dst);
        String out = LazysnapCli.rpull(stack, dst);
        assertEquals(3, out.lines().filter(l -> l.contains(" remote ")).count(), "every layer mounted lazily:\n" + out);
        assertEquals(HelloImage.OUTPUT, stack.ctr("run", "--rm", "--snapshotter", "lazysnap", dst, "convert-rpull"),
                stack.logs());
    }

    /** Checks every layer: media type, TOC against its digest annotation, sizes and diffID. */
    private static List<EstargzLayer> checkLayers(String ref, Manifest manifest, String mediaType) throws Exception {
        Reference repo = Reference.parse(ref);
        JsonNode config = JSON.readTree(registry.blob(repo, manifest.config()));
        assertEquals(MediaTypes.OCI_CONFIG, manifest.config().mediaType());
        List<EstargzLayer> opened = new java.util.ArrayList<>();
        for (int i = 0; i < manifest.layers().size(); i++) {
            Descriptor layer = manifest.layers().get(i);
            assertEquals(mediaType, layer.mediaType());
            String tocDigest = layer.annotations().get(LayerAnnotations.TOC_DIGEST);
            assertTrue(tocDigest != null && tocDigest.startsWith("sha256:"), layer.annotations().toString());
            EstargzLayer estargz = EstargzLayer.open(registry.blobSource(repo, layer), layer.annotations());
            assertTrue(estargz.tocVerified(), "TOC checked against the annotation");
            assertEquals(tocDigest, estargz.toc().digest());

            byte[] blob = registry.blob(repo, layer);
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            long size;
            try (InputStream in = new DigestInputStream(decompress(mediaType, blob), sha256)) {
                size = in.transferTo(java.io.OutputStream.nullOutputStream());
            }
            assertEquals(config.path("rootfs").path("diff_ids").get(i).asText(),
                    "sha256:" + HexFormat.of().formatHex(sha256.digest()), "diffID of layer " + i);
            assertEquals(Long.toString(size), layer.annotations().get(LayerAnnotations.UNCOMPRESSED_SIZE));
            opened.add(estargz);
        }
        return opened;
    }

    private static InputStream decompress(String mediaType, byte[] blob) throws Exception {
        return mediaType.endsWith("+zstd") ? new ZstdInputStream(new ByteArrayInputStream(blob))
                : new GZIPInputStream(new ByteArrayInputStream(blob));
    }

    private static void assertPrioritized(Toc toc, String path) {
        List<String> names = toc.entries().stream().map(e -> e.path()).toList();
        int landmark = names.indexOf(Toc.PREFETCH_LANDMARK);
        assertTrue(landmark >= 0 && names.indexOf(path) >= 0 && names.indexOf(path) < landmark,
                path + " before the landmark: " + names);
    }

    /** An index with the image for linux/amd64 and an attestation-style unknown/unknown entry. */
    private static void pushIndex(String ref, Descriptor manifest) throws Exception {
        ObjectNode index = JSON.createObjectNode().put("schemaVersion", 2).put("mediaType", MediaTypes.OCI_INDEX);
        for (String[] platform : List.of(new String[] {"linux", "amd64"}, new String[] {"unknown", "unknown"})) {
            ObjectNode entry = index.withArray("manifests").addObject().put("mediaType", manifest.mediaType())
                    .put("digest", manifest.digest()).put("size", manifest.size());
            entry.putObject("platform").put("os", platform[0]).put("architecture", platform[1]);
        }
        Reference r = Reference.parse(ref);
        HttpResponse<String> put = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                "http://" + r.registry() + "/v2/" + r.repository() + "/manifests/" + r.tag().orElseThrow()))
                .header("Content-Type", MediaTypes.OCI_INDEX)
                .PUT(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(index))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(201, put.statusCode(), put.body());
    }
}
