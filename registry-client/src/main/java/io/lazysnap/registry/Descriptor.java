package io.lazysnap.registry;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An OCI content descriptor: what a manifest says about one blob or manifest. Immutable; the digest is validated
 * on construction.
 */
public final class Descriptor {

    private final String mediaType;
    private final String digest;
    private final long size;
    private final Map<String, String> annotations;
    private final List<String> urls;
    private final Platform platform;
    private final String artifactType;

    private Descriptor(String mediaType, String digest, long size, Map<String, String> annotations,
                       List<String> urls, Platform platform, String artifactType) {
        this.mediaType = Objects.requireNonNull(mediaType, "mediaType");
        this.digest = Digests.validate(digest);
        if (size < 0) {
            throw new IllegalArgumentException("descriptor " + digest + " has a negative size");
        }
        this.size = size;
        this.annotations = Map.copyOf(annotations);
        this.urls = List.copyOf(urls);
        this.platform = platform;
        this.artifactType = artifactType;
    }

    public static Descriptor of(String mediaType, String digest, long size) {
        return new Descriptor(mediaType, digest, size, Map.of(), List.of(), null, null);
    }

    /** Describes {@code bytes}, computing their sha256 digest. */
    public static Descriptor of(String mediaType, byte[] bytes) {
        return of(mediaType, Digests.sha256(bytes), bytes.length);
    }

    static Descriptor of(String mediaType, String digest, long size, Map<String, String> annotations,
                         List<String> urls, Platform platform) {
        return new Descriptor(mediaType, digest, size, annotations, urls, platform, null);
    }

    public Descriptor withAnnotations(Map<String, String> newAnnotations) {
        return new Descriptor(mediaType, digest, size, newAnnotations, urls, platform, artifactType);
    }

    /** This descriptor with an artifact type, as index entries carry for OCI 1.1 referrers; null for none. */
    public Descriptor withArtifactType(String type) {
        return new Descriptor(mediaType, digest, size, annotations, urls, platform, type);
    }

    public String mediaType() {
        return mediaType;
    }

    public String digest() {
        return digest;
    }

    public long size() {
        return size;
    }

    public Map<String, String> annotations() {
        return annotations;
    }

    /** Alternative locations of the blob (foreign layers); lazysnap reads from the registry first. */
    public List<String> urls() {
        return urls;
    }

    /** The platform an index entry was built for, if the index says so. */
    public Optional<Platform> platform() {
        return Optional.ofNullable(platform);
    }

    /** What kind of artifact an index entry is (e.g. a sigstore bundle), if the index says so. */
    public Optional<String> artifactType() {
        return Optional.ofNullable(artifactType);
    }

    @Override
    public String toString() {
        return mediaType + " " + digest + " (" + size + " bytes)";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Descriptor d && d.digest.equals(digest) && d.size == size
                && d.mediaType.equals(mediaType) && d.annotations.equals(annotations) && d.urls.equals(urls)
                && Objects.equals(d.platform, platform) && Objects.equals(d.artifactType, artifactType);
    }

    @Override
    public int hashCode() {
        return digest.hashCode();
    }
}
