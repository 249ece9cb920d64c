package io.lazysnap.verifier;

import java.security.PublicKey;

/** A public key a rule accepts, named by where it came from (a file), so reasons can say which key signed. */
record TrustedKey(String name, PublicKey key) {

    boolean verifies(byte[] data, byte[] signature) {
        return Signatures.verify(key, data, signature);
    }
}
