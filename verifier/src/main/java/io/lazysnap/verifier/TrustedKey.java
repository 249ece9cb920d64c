package io.lazysnap.verifier;

import java.security.PublicKey;

/** A public key a rule accepts, named by where it came from (a file), so reasons can say which key signed. */
record TrustedKey(String name, PublicKey key) {

    /**
     * A PEM public key of an algorithm and size signatures are checked with.
     *
     * @throws IllegalArgumentException saying why {@code pem} is not one
     */
    static TrustedKey of(String name, String pem) {
        PublicKey key;
        try {
            key = Pem.publicKey(pem);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + " is not a PEM public key: " + e.getMessage(), e);
        }
        String unsupported = Signatures.unsupported(key);
        if (unsupported != null) {
            throw new IllegalArgumentException(name + ": " + unsupported);
        }
        return new TrustedKey(name, key);
    }

    boolean verifies(byte[] data, byte[] signature) {
        return Signatures.verify(key, data, signature);
    }
}
