package io.lazysnap.daemon.pull;

import io.lazysnap.registry.Descriptor;
import io.lazysnap.daemon.snapshot.LayerLabels;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The labels {@code rpull} puts on each layer's {@code Prepare}, so that a remote snapshotter can find the layer in
 * the registry: the target chain ID, the layer's own {@code containerd.io/snapshot/} annotations (the TOC digest),
 * and both image label families (CRI and stargz). The layer lists name this layer and the ones above it, as
 * containerd's and stargz-snapshotter's clients do, cut short to respect containerd's label size limit.
 */
final class SnapshotLabels {

    /** containerd refuses a label whose key and value together exceed this many bytes. */
    static final int MAX_LABEL_SIZE = 4096;
    private static final String INHERITED_PREFIX = "containerd.io/snapshot/";

    private SnapshotLabels() {
    }

    /**
     * @param imageRef       the normalised image reference the user asked for
     * @param manifestDigest the digest of the image manifest (not the index)
     * @param layers         the manifest's layers
     * @param index          which layer is being prepared
     * @param chainId        the chain ID of layers 0..index
     */
    static Map<String, String> forLayer(String imageRef, String manifestDigest, List<Descriptor> layers, int index,
                                        String chainId) {
        Descriptor layer = layers.get(index);
        Map<String, String> labels = new LinkedHashMap<>();
        layer.annotations().forEach((k, v) -> {
            if (k.startsWith(INHERITED_PREFIX)) {
                labels.put(k, v);
            }
        });
        labels.put(LayerLabels.TARGET, chainId);
        List<String> above = layers.subList(index, layers.size()).stream().map(Descriptor::digest).toList();
        labels.put(LayerLabels.STARGZ_REFERENCE, imageRef);
        labels.put(LayerLabels.STARGZ_DIGEST, layer.digest());
        labels.put(LayerLabels.STARGZ_LAYERS, joinWithinLimit(LayerLabels.STARGZ_LAYERS, above));
        if (!layer.urls().isEmpty()) {
            labels.put(LayerLabels.URLS, joinWithinLimit(LayerLabels.URLS, layer.urls()));
        }
        labels.put(LayerLabels.CRI_IMAGE_REF, imageRef);
        labels.put(LayerLabels.CRI_LAYER_DIGEST, layer.digest());
        labels.put(LayerLabels.CRI_IMAGE_LAYERS, joinWithinLimit(LayerLabels.CRI_IMAGE_LAYERS, above));
        labels.put(LayerLabels.CRI_MANIFEST_DIGEST, manifestDigest);
        return labels;
    }

    /** Joins as many leading values with commas as fit in one label; dropping later ones only costs speed. */
    static String joinWithinLimit(String key, List<String> values) {
        int budget = MAX_LABEL_SIZE - utf8Length(key);
        StringBuilder joined = new StringBuilder();
        int used = 0;
        for (String value : values) {
            int cost = utf8Length(value) + (joined.length() == 0 ? 0 : 1);
            if (used + cost > budget) {
                break;
            }
            if (joined.length() > 0) {
                joined.append(',');
            }
            joined.append(value);
            used += cost;
        }
        return joined.toString();
    }

    private static int utf8Length(String s) {
        return s.getBytes(StandardCharsets.UTF_8).length;
    }
}
