package io.lazysnap.daemon.gate;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.Reference;
import io.lazysnap.daemon.remote.Manifests;
import io.lazysnap.daemon.snapshot.LayerLabels;
import io.lazysnap.daemon.snapshot.PrepareGate;
import io.lazysnap.daemon.snapshot.SnapshotException;
import io.lazysnap.verifier.Mode;
import io.lazysnap.verifier.Verdict;
import io.lazysnap.verifier.Verifier;
import java.io.IOException;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cosign gate: a layer enters the node only if its image's signature satisfies the node's policy and the layer
 * belongs to the manifest that was verified. The manifest digest comes from the CRI label when present (it pins the
 * exact manifest containerd is pulling), otherwise from resolving the reference now; either way the layer digest
 * must be listed in that manifest, so neither a moved tag nor a foreign layer slips past. The layer is then served
 * from that very manifest: the labels it is admitted with pin its digest.
 */
public final class SignatureGate implements PrepareGate {

    private static final Logger log = LoggerFactory.getLogger(SignatureGate.class);

    private final Verifier verifier;
    private final Manifests manifests;
    /** Manifests whose non-verified verdict (warn, skip) was logged, so it is logged once per image. */
    private final Cache<String, Boolean> reported = Caffeine.newBuilder()
            .maximumSize(4096).expireAfterWrite(Duration.ofHours(1)).build();

    private final Consumer<Verdict> verdicts;

    /** A gate that also tells {@code verdicts} (metrics) each verdict it applies, one per layer. */
    public SignatureGate(Verifier verifier, Manifests manifests, Consumer<Verdict> verdicts) {
        this.verifier = verifier;
        this.manifests = manifests;
        this.verdicts = verdicts;
    }

    @Override
    public String policy() {
        return verifier.policy().fingerprint();
    }

    @Override
    public Optional<LayerLabels> admit(String target, Optional<LayerLabels> layer) {
        if (layer.isEmpty()) {
            admitUnlabelled(target);
            return layer;
        }
        LayerLabels l = layer.get();
        Reference image = reference(l.imageRef());
        if (verifier.policy().modeFor(image) == Mode.SKIP) {
            return layer;
        }
        String manifestDigest = l.manifestDigest().orElseGet(() -> resolve(image).descriptor().digest());
        Verdict verdict = verifier.verify(image, manifestDigest);
        verdicts.accept(verdict);
        if (!verdict.allowed()) {
            log.warn("refused layer {}: {}", l.layerDigest(), verdict);
            throw SnapshotException.failedPrecondition("%s", verdict);
        }
        if (verdict.outcome() != Verdict.Outcome.VERIFIED && reported.asMap().putIfAbsent(manifestDigest, true) == null) {
            log.warn("admitting without a verified signature: {}", verdict);
        }
        if (manifest(image, manifestDigest).layers().stream().noneMatch(d -> d.digest().equals(l.layerDigest()))) {
            throw SnapshotException.failedPrecondition(
                    "layer %s is not part of manifest %s of image %s, the one whose signature was checked; refusing it",
                    l.layerDigest(), manifestDigest, l.imageRef());
        }
        return Optional.of(l.withManifestDigest(manifestDigest));
    }

    /** Verifies (or finds the cached verdict) without counting or logging it: the Prepares do that. */
    @Override
    public boolean admitsAhead(Reference image, Manifest manifest) {
        return verifier.policy().modeFor(image) == Mode.SKIP
                || verifier.verify(image, manifest.descriptor().digest()).allowed();
    }

    /** A layer Prepare that names no image: only a non-enforcing default lets it through. */
    private void admitUnlabelled(String target) {
        if (verifier.policy().defaultMode() == Mode.ENFORCE) {
            throw SnapshotException.failedPrecondition("layer %s names no image, so its signature cannot be checked"
                    + " and the signature policy enforces by default; pull with `lazysnap rpull` or"
                    + " `ctr-remote image rpull`, or through Kubernetes' CRI with disable_snapshot_annotations = false",
                    target);
        }
    }

    private static Reference reference(String text) {
        try {
            return Reference.parse(text);
        } catch (IllegalArgumentException e) {
            throw SnapshotException.failedPrecondition("image reference %s: %s", text, e.getMessage());
        }
    }

    private Manifest resolve(Reference image) {
        try {
            return manifests.current(image);
        } catch (IOException e) {
            throw SnapshotException.failedPrecondition(
                    "cannot resolve %s to check its signature: %s", image, e.getMessage());
        }
    }

    private Manifest manifest(Reference image, String manifestDigest) {
        try {
            return manifests.pinned(image, manifestDigest);
        } catch (IOException e) {
            throw SnapshotException.failedPrecondition(
                    "cannot fetch manifest %s of %s: %s", manifestDigest, image, e.getMessage());
        }
    }
}
