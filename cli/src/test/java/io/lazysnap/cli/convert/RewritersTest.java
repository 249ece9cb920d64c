package io.lazysnap.cli.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.MediaTypes;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RewritersTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void configGetsNewDiffIdsAndKeepsEverythingElse() throws Exception {
        byte[] config = """
                {"architecture":"amd64","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:a"]},\
                "history":[{"created_by":"x"}]}""".getBytes(StandardCharsets.UTF_8);
        byte[] rewritten = ConfigRewriter.withDiffIds(config, List.of("sha256:b"));
        assertEquals(List.of("sha256:b"), ConfigRewriter.diffIds(rewritten));
        assertEquals("""
                {"architecture":"amd64","config":{"Cmd":["sh"]},"rootfs":{"type":"layers","diff_ids":["sha256:b"]},\
                "history":[{"created_by":"x"}]}""", new String(rewritten, StandardCharsets.UTF_8));
    }

    @Test
    void indexKeepsPlatformsOfConvertedEntriesAndDropsTheRest() throws Exception {
        String old = "sha256:" + "1".repeat(64);
        byte[] index = ("""
                {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json",\
                "manifests":[\
                {"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"%1$s","size":1,\
                "platform":{"os":"windows","architecture":"amd64","os.version":"10.0.17763.1"}},\
                {"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%1$s","size":1,\
                "platform":{"os":"unknown","architecture":"unknown"}}],\
                "annotations":{"a":"b"}}""").formatted(old).getBytes(StandardCharsets.UTF_8);
        Descriptor converted = Descriptor.of(MediaTypes.OCI_MANIFEST, "sha256:" + "2".repeat(64), 42);

        JsonNode out = JSON.readTree(IndexRewriter.rewrite(index, Map.of(0, converted)));

        assertEquals(MediaTypes.OCI_INDEX, out.path("mediaType").asText());
        assertEquals(1, out.path("manifests").size());
        JsonNode entry = out.path("manifests").get(0);
        assertEquals(converted.digest(), entry.path("digest").asText());
        assertEquals(42, entry.path("size").asLong());
        assertEquals(MediaTypes.OCI_MANIFEST, entry.path("mediaType").asText());
        assertEquals("10.0.17763.1", entry.path("platform").path("os.version").asText());
        assertEquals("b", out.path("annotations").path("a").asText());
    }

    @Test
    void onlyTarLayersAreConverted() {
        assertTrue(LayerConversion.isTarLayer("application/vnd.oci.image.layer.v1.tar+gzip"));
        assertTrue(LayerConversion.isTarLayer("application/vnd.oci.image.layer.v1.tar"));
        assertTrue(LayerConversion.isTarLayer("application/vnd.oci.image.layer.v1.tar+zstd"));
        assertTrue(LayerConversion.isTarLayer("application/vnd.docker.image.rootfs.diff.tar.gzip"));
        assertTrue(!LayerConversion.isTarLayer("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"));
        assertTrue(!LayerConversion.isTarLayer("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip"));
        assertTrue(!LayerConversion.isTarLayer("application/vnd.cncf.helm.chart.content.v1.tar+gzip"));
    }
}
