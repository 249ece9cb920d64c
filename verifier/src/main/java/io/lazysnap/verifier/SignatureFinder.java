package io.lazysnap.verifier;

import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Index;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.registry.RegistryException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Finds what is attached to a manifest digest in a registry: cosign's classic {@code sha256-<hex>.sig} manifest,
 * and sigstore bundles listed by the OCI referrers API or, where the registry lacks it, the referrers tag
 * {@code sha256-<hex>}. Everything is fetched by digest, so the registry client proves the bytes; whether they mean
 * anything is for the verifiers to decide. Bounded, since a registry could list anything.
 */
final class SignatureFinder {

    static final String BUNDLE_MEDIA_TYPE_PREFIX = "application/vnd.dev.sigstore.bundle";
    private static final Logger LOG = LoggerFactory.getLogger(SignatureFinder.class);
    private static final int MAX_ATTACHMENTS = 32;
    private static final long MAX_ATTACHMENT_BYTES = 1 << 20;

    private final RegistryClient registry;

    SignatureFinder(RegistryClient registry) {
        this.registry = registry;
    }

    /** The simple-signing layers of {@code repository:sha256-<hex>.sig}; empty if there is no such tag. */
    List<ClassicSignature> classic(Reference repository, String digest) throws IOException {
        Reference tag = repository.withTag(digest.replace(':', '-') + ".sig");
        Optional<Manifest> found = ifExists(() -> registry.manifest(tag));
        if (found.isEmpty()) {
            return List.of();
        }
        Manifest manifest = found.get();
        List<ClassicSignature> out = new ArrayList<>();
        List<Descriptor> layers = manifest.layers();
        for (int i = 0; i < layers.size() && out.size() < MAX_ATTACHMENTS; i++) {
            Descriptor layer = layers.get(i);
            if (!SimpleSigningPayload.MEDIA_TYPE.equals(layer.mediaType())) {
                LOG.debug("{} layer {} is a {}, not a signature; ignored", tag, i + 1, layer.mediaType());
                continue;
            }
            out.add(new ClassicSignature("signature " + (i + 1) + " of " + tag, small(tag, layer),
                    layer.annotations()));
        }
        return out;
    }

    /** Sigstore bundles whose referrer manifest has {@code digest} as its subject; empty if none are listed. */
    List<Attachment> bundles(Reference repository, String digest) throws IOException {
        List<Attachment> out = new ArrayList<>();
        for (Descriptor entry : referrers(repository, digest)) {
            if (out.size() == MAX_ATTACHMENTS) {
                break;
            }
            if (!entry.artifactType().orElse("").startsWith(BUNDLE_MEDIA_TYPE_PREFIX)) {
                continue;
            }
            Reference referrer = repository.withDigest(entry.digest());
            Manifest manifest = registry.manifest(referrer);
            if (manifest.subject().map(s -> !s.digest().equals(digest)).orElse(true)) {
                LOG.debug("{} is listed as a referrer of {} but its subject is not; ignored", referrer, digest);
                continue;
            }
            for (Descriptor layer : manifest.layers()) {
                if (layer.mediaType().startsWith(BUNDLE_MEDIA_TYPE_PREFIX)) {
                    out.add(new Attachment("bundle " + entry.digest() + " (referrer of " + digest + ")",
                            small(referrer, layer)));
                }
            }
        }
        return out;
    }

    /**
     * What refers to {@code digest}: the referrers API where the registry has it, else the index at the tag
     * {@code sha256-<hex>} that clients maintain instead. Unfiltered, since bundles of every version count.
     */
    private List<Descriptor> referrers(Reference repository, String digest) throws IOException {
        Optional<List<Descriptor>> listed = registry.referrers(repository, digest, null);
        if (listed.isPresent()) {
            return listed.get();
        }
        Reference tag = repository.withTag(digest.replace(':', '-'));
        return ifExists(() -> registry.index(tag)).map(Index::manifests).orElse(List.of());
    }

    private byte[] small(Reference repository, Descriptor layer) throws IOException {
        if (layer.size() > MAX_ATTACHMENT_BYTES) {
            throw new IOException(repository + " has a " + layer.size() + "-byte signature layer; at most "
                    + MAX_ATTACHMENT_BYTES + " are read");
        }
        return registry.blob(repository, layer);
    }

    /** What {@code fetch} returns, or empty if the registry says it does not exist. */
    static <T> Optional<T> ifExists(Fetch<T> fetch) throws IOException {
        try {
            return Optional.of(fetch.get());
        } catch (RegistryException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    interface Fetch<T> {
        T get() throws IOException;
    }

    /** A signature document fetched from the registry, named for reasons. */
    record Attachment(String where, byte[] bytes) {
    }
}
