package io.lazysnap.verifier;

import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Writes classic cosign signatures with a private key, in the format {@code cosign verify --key} accepts: a
 * simple-signing payload naming the manifest digest, signed with SHA-256 (ECDSA, RSA PKCS#1 v1.5) or Ed25519,
 * appended to {@code sha256-<hex>.sig} in the image's repository. No Rekor entry is made.
 */
public final class CosignSigner {

    private final PrivateKey key;

    public CosignSigner(PrivateKey key) {
        this.key = Objects.requireNonNull(key, "key");
    }

    /**
     * Reads an unencrypted PKCS#8 PEM private key ({@code BEGIN PRIVATE KEY}). cosign's own encrypted key files
     * are not read; convert them with {@code openssl pkcs8 -topk8 -nocrypt}.
     */
    public static CosignSigner fromPem(Path privateKeyPem) throws IOException {
        byte[] der;
        try {
            der = Pem.block(Files.readString(privateKeyPem), "PRIVATE KEY");
        } catch (IllegalArgumentException e) {
            throw new IOException(privateKeyPem + " is not an unencrypted PKCS#8 PEM private key ('BEGIN PRIVATE"
                    + " KEY'); convert it with: openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.pk8.pem", e);
        }
        for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
            try {
                return new CosignSigner(KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der)));
            } catch (GeneralSecurityException notThisOne) {
                // The DER names its algorithm; only the matching factory accepts it.
            }
        }
        throw new IOException(privateKeyPem + " is not an EC, RSA or Ed25519 private key");
    }

    /**
     * Signs {@code manifestDigest} as an image of {@code image}'s repository and pushes the signature.
     *
     * @return the descriptor of the updated signature manifest
     */
    public Descriptor sign(RegistryClient registry, Reference image, String manifestDigest) throws IOException {
        return SignatureManifest.append(registry, image, manifestDigest, List.of(signature(image, manifestDigest)));
    }

    ClassicSignature signature(Reference image, String manifestDigest) {
        byte[] payload = SimpleSigningPayload.of(image.name(), manifestDigest);
        return new ClassicSignature("new signature", payload,
                Map.of(ClassicSignature.SIGNATURE, Base64.getEncoder().encodeToString(sign(payload))));
    }

    byte[] sign(byte[] data) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> "Ed25519";
        };
        try {
            Signature s = Signature.getInstance(algorithm);
            s.initSign(key);
            s.update(data);
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot sign with a " + key.getAlgorithm() + " key: " + e.getMessage(), e);
        }
    }
}
