package io.lazysnap.verifier;

import io.lazysnap.registry.Reference;

import java.security.cert.CertificateException;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Checks one classic cosign signature against a rule: who signed the exact payload bytes (an accepted key, or a
 * certificate for an accepted identity that chains to a trusted CA), that the payload names the manifest being
 * pulled, and, where needed, the Rekor entry that dates the signature. Offline.
 */
final class ClassicVerifier {

    private final Clock clock;

    ClassicVerifier(Clock clock) {
        this.clock = clock;
    }

    /** @return who signed, for the verdict's reason */
    String verify(ClassicSignature sig, Reference image, String manifestDigest, Rule rule) throws Rejected {
        byte[] signature = sig.annotation(ClassicSignature.SIGNATURE).map(ClassicVerifier::base64)
                .orElseThrow(() -> new Rejected("it has no " + ClassicSignature.SIGNATURE + " annotation"));
        Signers signers = rule.signers();
        Optional<TrustedKey> key = signers.keys().stream().filter(k -> k.verifies(sig.payload(), signature))
                .findFirst();
        String signer;
        if (key.isPresent()) {
            signer = "key " + key.get().name() + checkTlog(sig, signature, key.get().key().getEncoded(),
                    signers.requireTlog(), signers).map(e -> ", Rekor log index " + e.logIndex()).orElse("");
        } else if (sig.annotation(ClassicSignature.CERTIFICATE).isPresent() && !signers.identities().isEmpty()) {
            signer = verifyCertificate(sig, signature, signers);
        } else {
            throw new Rejected(notSignedBy(sig, signers));
        }
        SimpleSigningPayload payload = SimpleSigningPayload.parse(sig.payload());
        if (!payload.manifestDigest().equals(manifestDigest)) {
            throw new Rejected("it is for manifest " + payload.manifestDigest() + ", not " + manifestDigest);
        }
        rule.signedReference().check(image, payload.dockerReference());
        return signer;
    }

    private String verifyCertificate(ClassicSignature sig, byte[] signature, Signers signers) throws Rejected {
        X509Certificate leaf;
        List<X509Certificate> chain;
        try {
            List<X509Certificate> leafs = Pem.certificates(sig.annotation(ClassicSignature.CERTIFICATE).get());
            if (leafs.isEmpty()) {
                throw new Rejected("its certificate annotation holds no certificate");
            }
            leaf = leafs.get(0);
            chain = Pem.certificates(sig.annotation(ClassicSignature.CHAIN).orElse(""));
        } catch (CertificateException e) {
            throw new Rejected("its certificate or chain is not PEM X.509: " + e.getMessage(), e);
        }
        String unsupported = Signatures.unsupported(leaf.getPublicKey());
        if (unsupported != null) {
            throw new Rejected("its certificate's key is not acceptable: " + unsupported);
        }
        if (!Signatures.verify(leaf.getPublicKey(), sig.payload(), signature)) {
            throw new Rejected("the signature does not verify with the key of its own certificate");
        }
        CertificateIdentity identity = CertificateIdentity.of(leaf);
        if (signers.identities().stream().noneMatch(i -> i.matches(identity))) {
            throw new Rejected("it is signed by " + identity + ", which the rule does not accept (it accepts "
                    + signers.identities().stream().map(Identity::toString).collect(Collectors.joining("; "))
                    + ")");
        }
        byte[] leafDer;
        try {
            leafDer = leaf.getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new Rejected("its certificate cannot be encoded", e);
        }
        Optional<TlogEntry> tlog = checkTlog(sig, signature, leafDer, false, signers);
        boolean fulcio = chainsToFulcio(leaf, chain, signers, tlog);
        if ((fulcio || signers.requireTlog()) && tlog.isEmpty()) {
            throw new Rejected("it has no Rekor bundle, and a "
                    + (fulcio ? "short-lived Fulcio certificate" : "signature under this rule")
                    + " needs one to prove when it was signed");
        }
        if (tlog.isPresent()) {
            try {
                leaf.checkValidity(Date.from(tlog.get().time()));
            } catch (CertificateExpiredException | CertificateNotYetValidException e) {
                throw new Rejected("it was logged in Rekor at " + tlog.get().time()
                        + ", outside its certificate's validity " + leaf.getNotBefore().toInstant() + " to "
                        + leaf.getNotAfter().toInstant());
            }
        }
        return "certificate " + identity + (fulcio ? " (Fulcio" : " (" + signers.ca())
                + tlog.map(e -> ", Rekor log index " + e.logIndex()).orElse("") + ")";
    }

    /** True for a Fulcio chain; otherwise the private CA must accept it, or it is rejected. */
    private boolean chainsToFulcio(X509Certificate leaf, List<X509Certificate> chain, Signers signers,
                                   Optional<TlogEntry> tlog) throws Rejected {
        Rejected fulcioFailure = null;
        if (signers.trustedRoot() != null) {
            try {
                signers.trustedRoot().verifyFulcioCertificate(leaf, chain);
                return true;
            } catch (Rejected e) {
                fulcioFailure = e;
            }
        }
        if (signers.ca() == null) {
            throw fulcioFailure != null ? fulcioFailure
                    : new Rejected("it is keyless, and the rule has no trusted_root or ca to check certificates");
        }
        // Without a logged time, a private CA's certificate must be valid now.
        Instant at = tlog.map(TlogEntry::time).orElse(clock.instant());
        try {
            signers.ca().verify(leaf, chain, at);
        } catch (Rejected e) {
            throw fulcioFailure == null ? e : new Rejected(fulcioFailure.getMessage() + "; " + e.getMessage(), e);
        }
        return false;
    }

    /**
     * Verifies the Rekor bundle when there is one and a trusted root to check it with: a bundle that is present
     * but wrong refuses the signature even where none is required.
     */
    private static Optional<TlogEntry> checkTlog(ClassicSignature sig, byte[] signature, byte[] signerDer,
                                                 boolean required, Signers signers) throws Rejected {
        Optional<String> bundle = sig.annotation(ClassicSignature.BUNDLE);
        if (bundle.isEmpty() || signers.trustedRoot() == null) {
            if (required) {
                throw new Rejected("it has no Rekor bundle, which the rule requires");
            }
            return Optional.empty();
        }
        TlogEntry entry = TlogEntry.fromCosignBundle(bundle.get());
        entry.verifySet(signers.trustedRoot());
        entry.requireHashedRekord(sig.payload(), signature, signerDer);
        return Optional.of(entry);
    }

    private static String notSignedBy(ClassicSignature sig, Signers signers) {
        if (sig.annotation(ClassicSignature.CERTIFICATE).isPresent()) {
            return "it is a keyless signature and the rule accepts no keyless identity"
                    + (signers.keys().isEmpty() ? "" : ", nor does any accepted key verify it");
        }
        return signers.keys().isEmpty() ? "it is signed with a key, and the rule accepts no key"
                : "it is not signed by any accepted key ("
                + signers.keys().stream().map(TrustedKey::name).collect(Collectors.joining(", ")) + ")";
    }

    private static byte[] base64(String text) {
        // The MIME decoder tolerates the line breaks some signers wrap signatures in.
        return Base64.getMimeDecoder().decode(text);
    }
}
