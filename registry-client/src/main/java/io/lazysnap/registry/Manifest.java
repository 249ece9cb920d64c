package io.lazysnap.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An image manifest (OCI or Docker schema 2): config and layers, plus the exact bytes it was read from, since
 * digests and signatures are computed over those bytes and never over a re-serialisation. Immutable.
 */
public final class Manifest {

    private final Descriptor descriptor;
    private final byte[] bytes;
    private final Descriptor config;
    private final List<Descriptor> layers;
    private final Map<String, String> annotations;
    private final Descriptor subject;

    private Manifest(Descriptor descriptor, byte[] bytes, Descriptor config, List<Descriptor> layers,
                     Map<String, String> annotations, Descriptor subject) {
        this.descriptor = descriptor;
        this.bytes = bytes;
        this.config = config;
        this.layers = List.copyOf(layers);
        this.annotations = Map.copyOf(annotations);
        this.subject = subject;
    }

    /**
     * Parses manifest bytes.
     *
     * @param mediaType the media type the bytes were served or stored with; if null, the document's own
     *                  {@code mediaType} field decides
     * @throws IllegalArgumentException if the bytes are not an image manifest
     */
    public static Manifest parse(String mediaType, byte[] bytes) {
        JsonNode root = Json.read(bytes, "manifest");
        String type = mediaType != null ? mediaType : root.path("mediaType").asText(MediaTypes.OCI_MANIFEST);
        if (MediaTypes.isIndex(type) || root.has("manifests")) {
            throw new IllegalArgumentException("expected an image manifest but got an index (" + type + ")");
        }
        if (!root.has("layers")) {
            throw new IllegalArgumentException("manifest has no layers array");
        }
        JsonNode subject = root.get("subject");
        return new Manifest(Descriptor.of(type, bytes), bytes.clone(),
                Json.descriptor(root.get("config"), "manifest config"),
                Json.descriptors(root.path("layers"), "manifest layers"), Json.annotations(root),
                subject == null ? null : Json.descriptor(subject, "manifest subject"));
    }

    /** Serialises a new OCI image manifest, e.g. for {@code convert} or tests. */
    public static Manifest build(Descriptor config, List<Descriptor> layers, Map<String, String> annotations) {
        ObjectNode root = Json.MAPPER.createObjectNode()
                .put("schemaVersion", 2)
                .put("mediaType", MediaTypes.OCI_MANIFEST);
        root.set("config", Json.write(config));
        layers.forEach(l -> root.withArray("layers").add(Json.write(l)));
        if (layers.isEmpty()) {
            root.putArray("layers");
        }
        if (!annotations.isEmpty()) {
            ObjectNode a = root.putObject("annotations");
            annotations.forEach(a::put);
        }
        try {
            return parse(MediaTypes.OCI_MANIFEST, Json.MAPPER.writeValueAsBytes(root));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of strings always serialises", e);
        }
    }

    /** Media type, digest and size of {@link #bytes()}. */
    public Descriptor descriptor() {
        return descriptor;
    }

    /** A copy of the exact bytes. */
    public byte[] bytes() {
        return bytes.clone();
    }

    public Descriptor config() {
        return config;
    }

    public List<Descriptor> layers() {
        return layers;
    }

    public Map<String, String> annotations() {
        return annotations;
    }

    /** The manifest this one refers to (OCI 1.1 referrers), if any. */
    public Optional<Descriptor> subject() {
        return Optional.ofNullable(subject);
    }

    @Override
    public String toString() {
        return "Manifest " + descriptor.digest() + " (" + layers.size() + " layers)";
    }
}
