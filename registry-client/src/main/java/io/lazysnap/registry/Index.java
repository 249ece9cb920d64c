package io.lazysnap.registry;

import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An image index (OCI) or manifest list (Docker): one manifest per platform, plus the exact bytes it was read
 * from. Immutable.
 */
public final class Index {

    private final Descriptor descriptor;
    private final byte[] bytes;
    private final List<Descriptor> manifests;
    private final Map<String, String> annotations;

    private Index(Descriptor descriptor, byte[] bytes, List<Descriptor> manifests, Map<String, String> annotations) {
        this.descriptor = descriptor;
        this.bytes = bytes;
        this.manifests = List.copyOf(manifests);
        this.annotations = Map.copyOf(annotations);
    }

    /**
     * Parses index bytes.
     *
     * @throws IllegalArgumentException if the bytes are not an index
     */
    public static Index parse(String mediaType, byte[] bytes) {
        var root = Json.read(bytes, "index");
        String type = mediaType != null ? mediaType : root.path("mediaType").asText(MediaTypes.OCI_INDEX);
        if (!root.has("manifests")) {
            throw new IllegalArgumentException("index has no manifests array");
        }
        return new Index(Descriptor.of(type, bytes), bytes.clone(),
                Json.descriptors(root.path("manifests"), "index manifests"), Json.annotations(root));
    }

    public Descriptor descriptor() {
        return descriptor;
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    public List<Descriptor> manifests() {
        return manifests;
    }

    public Map<String, String> annotations() {
        return annotations;
    }

    /**
     * The manifest for {@code platform}: an exact match, else the closest older ARM variant. Entries without a
     * platform (attestations, signatures) never match.
     */
    public Optional<Descriptor> select(Platform platform) {
        return manifests.stream()
                .filter(d -> d.platform().isPresent() && platform.rank(d.platform().get()) >= 0)
                .min(Comparator.comparingInt(d -> platform.rank(d.platform().get())));
    }

    @Override
    public String toString() {
        return "Index " + descriptor.digest() + " (" + manifests.size() + " manifests)";
    }
}
