package io.lazysnap.verifier;

import io.lazysnap.registry.Reference;

import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Decides whether one manifest digest carries a signature a rule accepts: classic cosign signatures first (one
 * registry request when absent), then sigstore bundles. One accepted signature is enough; garbage beside it
 * changes nothing. When none is accepted, the reason lists what each candidate was rejected for.
 */
final class DigestVerifier {

    private final SignatureFinder finder;
    private final ClassicVerifier classic;
    private final BundleVerifier bundles = new BundleVerifier();

    DigestVerifier(SignatureFinder finder, Clock clock) {
        this.finder = finder;
        this.classic = new ClassicVerifier(clock);
    }

    /**
     * @return who signed
     * @throws Rejected    naming every candidate and why it does not count, or that there is none
     * @throws IOException if the registry cannot be asked; nothing can be concluded then
     */
    String verify(Rule rule, Reference image, String digest) throws Rejected, IOException {
        Reference repository = rule.signaturesOf(image);
        List<String> rejections = new ArrayList<>();
        for (ClassicSignature sig : finder.classic(repository, digest)) {
            try {
                return classic.verify(sig, image, digest, rule) + ", " + sig.where();
            } catch (Rejected e) {
                rejections.add(sig.where() + ": " + e.getMessage());
            }
        }
        for (SignatureFinder.Attachment bundle : finder.bundles(repository, digest)) {
            try {
                return bundles.verify(bundle, image, digest, rule) + ", " + bundle.where();
            } catch (Rejected e) {
                rejections.add(bundle.where() + ": " + e.getMessage());
            }
        }
        if (rejections.isEmpty()) {
            throw new Rejected("no signature: " + repository.name() + ":" + digest.replace(':', '-')
                    + ".sig holds no cosign signature and no sigstore bundle refers to " + digest);
        }
        throw new Rejected(rejections.size() == 1 ? rejections.get(0)
                : "none of " + rejections.size() + " signatures is accepted: " + String.join("; ", rejections));
    }
}
