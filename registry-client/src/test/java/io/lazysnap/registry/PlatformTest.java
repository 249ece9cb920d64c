package io.lazysnap.registry;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlatformTest {

    @Test
    void normalisesAliasesAndImpliedVariants() {
        assertEquals(Platform.LINUX_AMD64, Platform.parse("linux/x86_64"));
        assertEquals(Platform.parse("linux/arm64"), Platform.parse("Linux/aarch64/v8"));
        assertEquals("linux/arm/v7", Platform.parse("linux/arm").toString());
        assertThrows(IllegalArgumentException.class, () -> Platform.parse("linux"));
    }

    @Test
    void indexPicksExactThenOlderArmAndSkipsAttestations() {
        String digest = "sha256:%064d";
        List<Descriptor> entries = List.of(
                Descriptor.of(MediaTypes.OCI_MANIFEST, String.format(digest, 1), 1, java.util.Map.of(), List.of(),
                        Platform.parse("linux/arm/v5")),
                Descriptor.of(MediaTypes.OCI_MANIFEST, String.format(digest, 2), 1, java.util.Map.of(), List.of(),
                        Platform.parse("linux/arm/v6")),
                Descriptor.of(MediaTypes.OCI_MANIFEST, String.format(digest, 3), 1,
                        java.util.Map.of("vnd.docker.reference.type", "attestation-manifest"), List.of(),
                        Platform.of("unknown", "unknown", "")),
                Descriptor.of(MediaTypes.OCI_MANIFEST, String.format(digest, 4), 1, java.util.Map.of(), List.of(),
                        null));
        StringBuilder json = new StringBuilder("{\"manifests\":[");
        entries.forEach(e -> json.append(Json.write(e)).append(','));
        json.setLength(json.length() - 1);
        Index index = Index.parse(null, json.append("]}").toString().getBytes());
        assertEquals(MediaTypes.OCI_INDEX, index.descriptor().mediaType());
        assertEquals(String.format(digest, 2), index.select(Platform.parse("linux/arm/v7")).orElseThrow().digest());
        assertEquals(String.format(digest, 1), index.select(Platform.parse("linux/arm/v5")).orElseThrow().digest());
        assertTrue(index.select(Platform.LINUX_AMD64).isEmpty());
    }

    @Test
    void manifestsKeepTheirExactBytes() {
        String json = "{ \"schemaVersion\" : 2, \"config\": {\"mediaType\":\"c\",\"digest\":\"sha256:"
                + "b".repeat(64) + "\",\"size\":3}, \"layers\": [] }";
        Manifest m = Manifest.parse(MediaTypes.DOCKER_MANIFEST, json.getBytes());
        assertEquals(json, new String(m.bytes()));
        assertEquals(Digests.sha256(json.getBytes()), m.descriptor().digest());
        assertThrows(IllegalArgumentException.class, () -> Manifest.parse(null, "{\"manifests\":[]}".getBytes()));
        assertThrows(IllegalArgumentException.class, () -> Manifest.parse(null, "[1]".getBytes()));
    }
}
