package io.lazysnap.verifier;

import java.util.List;

/**
 * Whom a rule trusts: public keys, and keyless identities whose certificates chain to a sigstore trusted root
 * (Fulcio) or a private CA. {@code requireTlog} asks key and private-CA signatures for a Rekor entry too;
 * Fulcio certificates always need one, as only the log proves when they were used.
 */
record Signers(List<TrustedKey> keys, List<Identity> identities, TrustedRoot trustedRoot, PrivateCa ca,
               boolean requireTlog) {

    Signers {
        keys = List.copyOf(keys);
        identities = List.copyOf(identities);
    }
}
