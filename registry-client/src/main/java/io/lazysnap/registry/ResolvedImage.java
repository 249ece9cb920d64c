package io.lazysnap.registry;

import java.util.Optional;

/**
 * The outcome of resolving a reference for one platform: the reference pinned to the digest of what the tag
 * pointed at, the index if there was one, and the platform's image manifest. Immutable.
 */
public final class ResolvedImage {

    private final Reference reference;
    private final Index index;
    private final Manifest manifest;

    ResolvedImage(Reference reference, Index index, Manifest manifest) {
        this.reference = reference;
        this.index = index;
        this.manifest = manifest;
    }

    /** The reference with the digest of the top-level object (index or manifest) the tag resolved to. */
    public Reference reference() {
        return reference;
    }

    public Optional<Index> index() {
        return Optional.ofNullable(index);
    }

    public Manifest manifest() {
        return manifest;
    }

    @Override
    public String toString() {
        return reference + " -> " + manifest.descriptor().digest();
    }
}
