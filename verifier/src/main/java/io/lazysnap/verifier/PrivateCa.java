package io.lazysnap.verifier;

import java.security.GeneralSecurityException;
import java.security.cert.CertPath;
import java.security.cert.CertPathBuilder;
import java.security.cert.CertPathBuilderException;
import java.security.cert.CertStore;
import java.security.cert.CollectionCertStoreParameters;
import java.security.cert.PKIXBuilderParameters;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.TrustAnchor;
import java.security.cert.X509CertSelector;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A private PKI ("bring your own"): signing certificates must chain to one of these roots, through the configured
 * intermediates or those the signature carries. No SCT is asked for; such CAs have no CT log.
 */
final class PrivateCa {

    private final String name;
    private final Set<TrustAnchor> roots;
    private final List<X509Certificate> intermediates;

    PrivateCa(String name, List<X509Certificate> roots, List<X509Certificate> intermediates) {
        if (roots.isEmpty()) {
            throw new IllegalArgumentException("no root certificate");
        }
        this.name = name;
        this.roots = roots.stream().map(r -> new TrustAnchor(r, null)).collect(Collectors.toUnmodifiableSet());
        this.intermediates = List.copyOf(intermediates);
    }

    /** Builds and validates a path from {@code leaf} to a root, as of {@code time}. */
    void verify(X509Certificate leaf, List<X509Certificate> chain, Instant time) throws Rejected {
        List<X509Certificate> pool = new ArrayList<>(intermediates);
        pool.addAll(chain);
        pool.add(leaf);
        try {
            X509CertSelector target = new X509CertSelector();
            target.setCertificate(leaf);
            PKIXBuilderParameters params = new PKIXBuilderParameters(roots, target);
            params.setRevocationEnabled(false);
            params.setDate(Date.from(time));
            params.addCertStore(CertStore.getInstance("Collection", new CollectionCertStoreParameters(pool)));
            CertPath path = ((PKIXCertPathBuilderResult) CertPathBuilder.getInstance("PKIX").build(params))
                    .getCertPath();
            if (path.getCertificates().isEmpty()) {
                throw new Rejected("the signing certificate is itself a root of " + name
                        + "; a signature needs a leaf certificate");
            }
        } catch (CertPathBuilderException e) {
            throw new Rejected("the signing certificate does not chain to " + name + " as of " + time + ": "
                    + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new Rejected("the signing certificate chain cannot be checked: " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return name;
    }
}
