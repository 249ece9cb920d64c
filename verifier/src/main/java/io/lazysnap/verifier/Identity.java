package io.lazysnap.verifier;

/**
 * A keyless signer the policy accepts: the OIDC issuer Fulcio recorded in the certificate, and the subject (an
 * email or URI subject alternative name). A null issuer matches any, which the parser allows only for a private
 * CA, whose certificates carry no issuer.
 */
record Identity(TextMatcher issuer, TextMatcher subject) {

    boolean matches(CertificateIdentity cert) {
        return (issuer == null || issuer.matches(cert.issuer())) && cert.subjects().stream().anyMatch(subject::matches);
    }

    @Override
    public String toString() {
        return "subject " + subject + (issuer == null ? "" : " issuer " + issuer);
    }
}
