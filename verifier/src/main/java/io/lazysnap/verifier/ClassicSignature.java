package io.lazysnap.verifier;

import java.util.Map;
import java.util.Optional;

/**
 * One layer of a cosign {@code .sig} manifest: the exact payload bytes and the layer's annotations, which carry
 * the signature and, for keyless, the certificate, chain and Rekor bundle.
 *
 * @param where names the signature in reasons, e.g. {@code signature 2 of registry/repo:sha256-….sig}
 */
record ClassicSignature(String where, byte[] payload, Map<String, String> annotations) {

    static final String SIGNATURE = "dev.cosignproject.cosign/signature";
    static final String CERTIFICATE = "dev.sigstore.cosign/certificate";
    static final String CHAIN = "dev.sigstore.cosign/chain";
    static final String BUNDLE = "dev.sigstore.cosign/bundle";

    ClassicSignature {
        payload = payload.clone();
        annotations = Map.copyOf(annotations);
    }

    Optional<String> annotation(String key) {
        return Optional.ofNullable(annotations.get(key)).filter(v -> !v.isBlank());
    }
}
