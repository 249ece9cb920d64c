package io.lazysnap.verifier;

import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.MediaTypes;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes cosign's classic signature manifest: an OCI manifest at {@code sha256-<hex>.sig} with one
 * simple-signing layer per signature, new signatures appended to those already there, as cosign does.
 */
final class SignatureManifest {

    private SignatureManifest() {
    }

    static Descriptor append(RegistryClient registry, Reference repository, String digest,
                             List<ClassicSignature> signatures) throws IOException {
        Reference tag = repository.withTag(digest.replace(':', '-') + ".sig");
        List<Descriptor> layers = new ArrayList<>();
        SignatureFinder.ifExists(() -> registry.manifest(tag)).ifPresent(m -> layers.addAll(m.layers()));
        for (ClassicSignature sig : signatures) {
            layers.add(registry.pushBlob(tag, SimpleSigningPayload.MEDIA_TYPE, sig.payload())
                    .withAnnotations(sig.annotations()));
        }
        Descriptor config = registry.pushBlob(tag, MediaTypes.OCI_CONFIG, config(layers));
        Manifest manifest = Manifest.build(config, layers, Map.of());
        return registry.pushManifest(tag, MediaTypes.OCI_MANIFEST, manifest.bytes());
    }

    // The image config go-containerregistry writes for cosign: the payloads are the (uncompressed) layers.
    private static byte[] config(List<Descriptor> layers) {
        StringBuilder diffIds = new StringBuilder();
        for (Descriptor layer : layers) {
            diffIds.append(diffIds.length() == 0 ? "" : ",").append('"').append(layer.digest()).append('"');
        }
        return ("{\"architecture\":\"\",\"config\":{},\"created\":\"0001-01-01T00:00:00Z\",\"history\":[{\"created\":"
                + "\"0001-01-01T00:00:00Z\"}],\"os\":\"\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":["
                + diffIds + "]}}").getBytes(StandardCharsets.UTF_8);
    }
}
