package io.lazysnap.daemon;

import io.lazysnap.estargz.ConversionResult;
import io.lazysnap.estargz.LayerConverter;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** A one-layer eStargz image pushed to a registry, and the Prepare labels containerd's CRI would send for it. */
public record EstargzImage(String reference, String manifestDigest, String layerDigest) {

    /** Pushes an image whose layer holds {@code files} (path to content) as {@code reference}. */
    public static EstargzImage push(RegistryClient client, String reference, Map<String, byte[]> files, Path work)
            throws IOException, InterruptedException {
        return push(client, reference, files, work, true);
    }

    /** Without {@code tocDigest}, the layer descriptor lacks its TOC digest, so nodes download it instead. */
    public static EstargzImage push(RegistryClient client, String reference, Map<String, byte[]> files, Path work,
                             boolean tocDigest) throws IOException, InterruptedException {
        return push(client, reference, files, work, tocDigest, List.of());
    }

    /** With {@code prioritized} files (before the prefetch landmark), which a node prefetches at mount. */
    public static EstargzImage push(RegistryClient client, String reference, Map<String, byte[]> files, Path work,
                             boolean tocDigest, List<String> prioritized) throws IOException, InterruptedException {
        Path tree = Files.createDirectories(work.resolve("tree"));
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            Files.write(tree.resolve(f.getKey()), f.getValue());
        }
        Path tar = work.resolve("layer.tar");
        Process p = new ProcessBuilder("tar", "-C", tree.toString(), "-cf", tar.toString(), ".").inheritIO().start();
        if (p.waitFor() != 0) {
            throw new IOException("tar failed");
        }
        Path blob = work.resolve("layer.estargz");
        ConversionResult layer;
        try (InputStream in = Files.newInputStream(tar); OutputStream out = Files.newOutputStream(blob)) {
            layer = LayerConverter.builder().prioritizedFiles(prioritized).build().convert(in, out);
        }
        Reference ref = Reference.parse(reference);
        client.pushBlob(ref, layer.mediaType(), blob);
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                + layer.diffId() + "\"]},\"config\":{}}").getBytes(StandardCharsets.UTF_8);
        Descriptor configBlob = client.pushBlob(ref, "application/vnd.oci.image.config.v1+json", config);
        StringBuilder annotations = new StringBuilder();
        layer.annotations().entrySet().stream()
                .filter(a -> tocDigest || !a.getKey().equals("containerd.io/snapshot/stargz/toc.digest"))
                .forEach(a -> annotations.append(annotations.isEmpty() ? "" : ",")
                .append('"').append(a.getKey()).append("\":\"").append(a.getValue()).append('"'));
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\""
                + configBlob.digest() + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\""
                + layer.mediaType() + "\",\"digest\":\"" + layer.blobDigest() + "\",\"size\":" + layer.blobSize()
                + ",\"annotations\":{" + annotations + "}}]}").getBytes(StandardCharsets.UTF_8);
        Descriptor pushed = client.pushManifest(ref, "application/vnd.oci.image.manifest.v1+json", manifest);
        return new EstargzImage(reference, pushed.digest(), layer.blobDigest());
    }

    /** The labels of the Prepare that unpacks the layer as snapshot {@code chainId}, as CRI sets them. */
    public Map<String, String> prepareLabels(String chainId) {
        Map<String, String> labels = new HashMap<>();
        labels.put("containerd.io/snapshot.ref", chainId);
        labels.put("containerd.io/snapshot/cri.image-ref", reference);
        labels.put("containerd.io/snapshot/cri.layer-digest", layerDigest);
        labels.put("containerd.io/snapshot/cri.manifest-digest", manifestDigest);
        labels.put("containerd.io/snapshot/cri.image-layers", layerDigest);
        return labels;
    }
}
