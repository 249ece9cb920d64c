package io.lazysnap.verifier;

import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.List;

/**
 * Signature checks with the algorithms cosign uses: ECDSA P-256/P-384/P-521, RSA PKCS#1 v1.5 (at least 2048 bits)
 * and Ed25519. Any other key is refused outright rather than verified with a guess.
 */
final class Signatures {

    private static final int MIN_RSA_BITS = 2048;

    private Signatures() {
    }

    /** Why {@code key} is not acceptable, or null if it is. */
    static String unsupported(PublicKey key) {
        if (key instanceof ECPublicKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            return bits == 256 || bits == 384 || bits == 521 ? null
                    : "ECDSA keys must be on P-256, P-384 or P-521, not a " + bits + "-bit curve";
        }
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            return bits >= MIN_RSA_BITS ? null : "RSA keys must have at least " + MIN_RSA_BITS + " bits, not " + bits;
        }
        return "Ed25519".equals(key.getAlgorithm()) || "EdDSA".equals(key.getAlgorithm()) ? null
                : key.getAlgorithm() + " keys are not supported";
    }

    /** True if {@code signature} over {@code data} verifies with {@code key}. */
    static boolean verify(PublicKey key, byte[] data, byte[] signature) {
        if (unsupported(key) != null) {
            return false;
        }
        for (String algorithm : algorithms(key)) {
            try {
                Signature s = Signature.getInstance(algorithm);
                s.initVerify(key);
                s.update(data);
                if (s.verify(signature)) {
                    return true;
                }
            } catch (SignatureException malformed) {
                // Not a signature of this algorithm's shape; the next one may still accept it.
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(algorithm + " is part of every JDK 17", e);
            }
        }
        return false;
    }

    // cosign hashes with SHA-256 whatever the curve, unless it was told a curve-sized hash: accept both.
    private static List<String> algorithms(PublicKey key) {
        if (key instanceof ECPublicKey ec) {
            return switch (ec.getParams().getCurve().getField().getFieldSize()) {
                case 384 -> List.of("SHA384withECDSA", "SHA256withECDSA");
                case 521 -> List.of("SHA512withECDSA", "SHA256withECDSA");
                default -> List.of("SHA256withECDSA");
            };
        }
        if (key instanceof RSAPublicKey) {
            return List.of("SHA256withRSA");
        }
        return List.of("Ed25519");
    }
}
