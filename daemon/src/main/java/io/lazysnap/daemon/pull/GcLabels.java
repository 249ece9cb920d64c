package io.lazysnap.daemon.pull;

import io.lazysnap.registry.Descriptor;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The content labels through which containerd's garbage collector follows an image: a manifest or index names its
 * children with {@code containerd.io/gc.ref.content.*} labels, and the config names the unpacked snapshot with
 * {@code containerd.io/gc.ref.snapshot.<snapshotter>}. Keys are chosen the way containerd's own pull chooses them, so
 * tools that read them ({@code ctr content ls}) see the same picture.
 */
final class GcLabels {

    static final String UNCOMPRESSED = "containerd.io/uncompressed";
    private static final String CONTENT = "containerd.io/gc.ref.content.";
    private static final Set<String> CONFIG_TYPES = Set.of(
            "application/vnd.oci.image.config.v1+json",
            "application/vnd.docker.container.image.v1+json",
            "application/vnd.containerd.container.criu.checkpoint.criu.tar",
            "application/vnd.containerd.container.checkpoint.config.v1+proto");
    private static final Set<String> MANIFEST_TYPES = Set.of(
            "application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json");

    private GcLabels() {
    }

    /**
     * Labels naming {@code children}: {@code config} for the config, {@code m.<i>} for manifests, {@code l.<i>} for
     * layers and {@code <i>} for anything else, counting separately per kind.
     */
    static Map<String, String> children(List<Descriptor> children) {
        Map<String, Integer> counters = new HashMap<>();
        Map<String, String> labels = new LinkedHashMap<>();
        for (Descriptor child : children) {
            String key = CONTENT + kind(child.mediaType());
            int n = counters.merge(key, 1, Integer::sum) - 1;
            if (n > 0 || key.endsWith(".")) {
                key += n;
            }
            labels.put(key, child.digest());
        }
        return labels;
    }

    /** The label on an image config that keeps its unpacked snapshot chain alive. */
    static String snapshotKey(String snapshotter) {
        return "containerd.io/gc.ref.snapshot." + snapshotter;
    }

    private static String kind(String mediaType) {
        if (CONFIG_TYPES.contains(mediaType)) {
            return "config";
        }
        if (MANIFEST_TYPES.contains(mediaType)) {
            return "m.";
        }
        if (isLayer(mediaType)) {
            return "l.";
        }
        return "";
    }

    static boolean isLayer(String mediaType) {
        return mediaType.startsWith("application/vnd.oci.image.layer.")
                || mediaType.startsWith("application/vnd.docker.image.rootfs.");
    }
}
