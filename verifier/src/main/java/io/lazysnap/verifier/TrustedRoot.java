package io.lazysnap.verifier;

import dev.sigstore.KeylessVerifier;
import dev.sigstore.TrustedRootProvider;
import dev.sigstore.fulcio.client.FulcioVerificationException;
import dev.sigstore.fulcio.client.FulcioVerifier;
import dev.sigstore.trustroot.SigstoreTrustedRoot;
import dev.sigstore.trustroot.TransparencyLog;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.cert.CertPath;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A sigstore {@code trusted_root.json}: the Fulcio CAs, CT logs and Rekor logs a keyless signature is checked
 * against, entirely offline. Parsing and the Fulcio chain/SCT checks are sigstore-java's.
 */
final class TrustedRoot {

    private final String name;
    private final SigstoreTrustedRoot root;
    private final FulcioVerifier fulcio;
    private final KeylessVerifier keyless;

    private TrustedRoot(String name, SigstoreTrustedRoot root, FulcioVerifier fulcio, KeylessVerifier keyless) {
        this.name = name;
        this.root = root;
        this.fulcio = fulcio;
        this.keyless = keyless;
    }

    /** @throws IllegalArgumentException if the file cannot be read or is not a usable trusted root */
    static TrustedRoot load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            SigstoreTrustedRoot root = SigstoreTrustedRoot.from(in);
            return new TrustedRoot(file.toString(), root, FulcioVerifier.newFulcioVerifier(root),
                    KeylessVerifier.builder().trustedRootProvider(TrustedRootProvider.from(file)).build());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        } catch (Exception e) {
            throw new IllegalArgumentException(file + " is not a usable sigstore trusted root: " + e.getMessage(), e);
        }
    }

    /**
     * Checks that {@code leaf} (with the chain the signature carried, possibly empty) chains to one of the root's
     * Fulcio CAs as of the leaf's issuance, and carries a valid SCT from one of its CT logs.
     */
    void verifyFulcioCertificate(X509Certificate leaf, List<X509Certificate> chain) throws Rejected {
        List<X509Certificate> path = new ArrayList<>();
        path.add(leaf);
        path.addAll(chain);
        try {
            CertPath certPath = CertificateFactory.getInstance("X.509").generateCertPath(path);
            fulcio.verifySigningCertificate(certPath);
        } catch (FulcioVerificationException e) {
            throw new Rejected("the signing certificate is not trusted by " + name + ": "
                    + e.getMessage().replace('\n', ' '), e);
        } catch (IOException | CertificateException e) {
            throw new Rejected("the signing certificate chain cannot be read: " + e.getMessage(), e);
        }
    }

    /** The key of the Rekor log {@code logId} (sha256 of its key) that was valid at {@code time}, if trusted. */
    Optional<PublicKey> rekorKey(byte[] logId, Instant time) {
        Optional<TransparencyLog> log = TransparencyLog.find(root.getTLogs(), logId, time);
        if (log.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(log.get().getPublicKey().toJavaPublicKey());
        } catch (GeneralSecurityException e) {
            return Optional.empty();
        }
    }

    KeylessVerifier keyless() {
        return keyless;
    }

    @Override
    public String toString() {
        return name;
    }
}
