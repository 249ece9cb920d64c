package io.lazysnap.verifier;

import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;

/** Who a signing certificate says the signer is: its email/URI/DNS alternative names and its OIDC issuer. */
record CertificateIdentity(List<String> subjects, String issuer) {

    // Fulcio's issuer extensions: v1 holds the raw string, v2 (".8") a DER UTF8String.
    private static final String ISSUER_V1 = "1.3.6.1.4.1.57264.1.1";
    private static final String ISSUER_V2 = "1.3.6.1.4.1.57264.1.8";
    private static final int SAN_EMAIL = 1;
    private static final int SAN_DNS = 2;
    private static final int SAN_URI = 6;

    static CertificateIdentity of(X509Certificate cert) throws Rejected {
        List<String> subjects = new ArrayList<>();
        try {
            var names = cert.getSubjectAlternativeNames();
            if (names != null) {
                for (List<?> name : names) {
                    int type = (Integer) name.get(0);
                    if (type == SAN_EMAIL || type == SAN_DNS || type == SAN_URI) {
                        subjects.add((String) name.get(1));
                    }
                }
            }
        } catch (CertificateParsingException e) {
            throw new Rejected("the signing certificate's subject alternative names cannot be read", e);
        }
        return new CertificateIdentity(List.copyOf(subjects), issuer(cert));
    }

    private static String issuer(X509Certificate cert) throws Rejected {
        try {
            byte[] v2 = cert.getExtensionValue(ISSUER_V2);
            if (v2 != null) {
                return new String(Der.contents(Der.contents(v2, Der.OCTET_STRING), Der.UTF8_STRING),
                        StandardCharsets.UTF_8);
            }
            byte[] v1 = cert.getExtensionValue(ISSUER_V1);
            return v1 == null ? null : new String(Der.contents(v1, Der.OCTET_STRING), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new Rejected("the signing certificate's OIDC issuer extension is malformed", e);
        }
    }

    @Override
    public String toString() {
        return "subject " + (subjects.isEmpty() ? "(none)" : String.join(", ", subjects))
                + " issuer " + (issuer == null ? "(none)" : issuer);
    }
}
