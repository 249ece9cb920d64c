package io.lazysnap.daemon.snapshot;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a {@code Prepare}'s labels say about the image layer being unpacked. Two label families carry it: the one
 * containerd's CRI plugin sets ({@code cri.*}) and the one {@code ctr-remote image rpull}-style clients set
 * ({@code remote/stargz.*}); either is accepted, CRI first.
 *
 * @param target       the chain ID the layer would be committed as ({@code containerd.io/snapshot.ref})
 * @param imageRef     the image reference the layer belongs to
 * @param layerDigest  the compressed layer's digest
 * @param manifestDigest the image manifest's digest when known (pins the manifest, else the reference is resolved)
 * @param imageLayers  digests of all layers of the image, for resolving them ahead of their Prepare
 * @param claimsToc    whether the labels carry the layer's TOC digest annotation: a hint that it is an eStargz layer,
 *                     worth reading before its manifest arrives (its TOC is verified by the manifest's annotation only)
 */
public record LayerLabels(String target, String imageRef, String layerDigest, Optional<String> manifestDigest,
                          List<String> imageLayers, List<String> urls, boolean claimsToc) {

    public static final String TARGET = "containerd.io/snapshot.ref";
    public static final String REMOTE = "containerd.io/snapshot/remote";
    public static final String REMOTE_VALUE = "remote snapshot";
    /** lazysnap's own, on a layer it serves: the fingerprint of the signature policy that admitted it. */
    public static final String ADMITTED_BY = "lazysnap.io/admitted-by-policy";
    /** lazysnap's own, on a layer it serves: the manifest whose signature that policy checked. */
    public static final String ADMITTED_MANIFEST = "lazysnap.io/admitted-manifest";
    public static final String CRI_IMAGE_REF = "containerd.io/snapshot/cri.image-ref";
    public static final String CRI_LAYER_DIGEST = "containerd.io/snapshot/cri.layer-digest";
    public static final String CRI_IMAGE_LAYERS = "containerd.io/snapshot/cri.image-layers";
    public static final String CRI_MANIFEST_DIGEST = "containerd.io/snapshot/cri.manifest-digest";
    public static final String STARGZ_REFERENCE = "containerd.io/snapshot/remote/stargz.reference";
    public static final String STARGZ_DIGEST = "containerd.io/snapshot/remote/stargz.digest";
    public static final String STARGZ_LAYERS = "containerd.io/snapshot/remote/stargz.layers";
    public static final String URLS = "containerd.io/snapshot/remote/urls";
    /** The layer annotation naming its TOC's digest (only the manifest's own annotation is trusted). */
    public static final String TOC_DIGEST = "containerd.io/snapshot/stargz/toc.digest";

    /** The same layer, its image pinned to the manifest with {@code digest}. */
    public LayerLabels withManifestDigest(String digest) {
        return new LayerLabels(target, imageRef, layerDigest, Optional.of(digest), imageLayers, urls, claimsToc);
    }

    /** The layer named by {@code labels}, or empty when they do not name one (a plain Prepare). */
    public static Optional<LayerLabels> from(Map<String, String> labels) {
        String target = labels.get(TARGET);
        String ref = first(labels, CRI_IMAGE_REF, STARGZ_REFERENCE);
        String digest = first(labels, CRI_LAYER_DIGEST, STARGZ_DIGEST);
        if (target == null || ref == null || digest == null) {
            return Optional.empty();
        }
        return Optional.of(new LayerLabels(target, ref, digest,
                Optional.ofNullable(labels.get(CRI_MANIFEST_DIGEST)),
                list(first(labels, CRI_IMAGE_LAYERS, STARGZ_LAYERS)),
                list(labels.get(URLS)), labels.containsKey(TOC_DIGEST)));
    }

    private static String first(Map<String, String> labels, String preferred, String fallback) {
        String value = labels.get(preferred);
        return value == null || value.isEmpty() ? labels.get(fallback) : value;
    }

    private static List<String> list(String commaSeparated) {
        if (commaSeparated == null || commaSeparated.isBlank()) {
            return List.of();
        }
        return Arrays.stream(commaSeparated.split(",")).map(String::strip).filter(s -> !s.isEmpty()).toList();
    }
}
