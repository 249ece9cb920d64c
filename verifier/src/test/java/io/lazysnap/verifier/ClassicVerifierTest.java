package io.lazysnap.verifier;

import io.lazysnap.registry.Reference;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

import static io.lazysnap.verifier.Fixtures.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Classic cosign signatures from the containers/image fixtures, checked offline against rules. */
class ClassicVerifierTest {

    private static final Reference SAMPLE = Reference.parse("192.168.64.2:5000/cosign-signed-single-sample");
    private static final String SAMPLE_DIGEST = Fixtures.manifestDigest("dir-img-cosign-valid");
    private static final String REKOR_DIGEST = Fixtures.manifestDigest("dir-img-cosign-key-rekor-valid");
    private static final String TRUSTED_ROOT = "trusted_root = \"" + Fixtures.TRUSTED_ROOT + "\"\n";
    private static final String GITHUB = "https://github.com/login/oauth";

    private final ClassicVerifier verifier = new ClassicVerifier(Clock.systemUTC());

    private static Rule rule(String body) {
        return Fixtures.policy("[default]\n" + body).ruleFor(SAMPLE);
    }

    private String verify(String dir, int n, Reference image, String digest, String rule) throws Rejected {
        return verifier.verify(Fixtures.signature(dir, n), image, digest, rule(rule));
    }

    private String rejected(String dir, int n, Reference image, String digest, String rule) {
        return assertThrows(Rejected.class, () -> verify(dir, n, image, digest, rule)).getMessage();
    }

    @Test
    void keySignatureVerifies() throws Rejected {
        String signer = verify("dir-img-cosign-valid", 1, SAMPLE, SAMPLE_DIGEST, "keys = [" + q("cosign.pub") + "]");
        assertEquals("key " + Fixtures.file("cosign.pub"), signer);
        verify("dir-img-cosign-valid-2", 1, SAMPLE, SAMPLE_DIGEST, "keys = [" + q("cosign.pub") + "]");
        verify("dir-img-cosign-valid-2", 2, SAMPLE, SAMPLE_DIGEST, "keys = [" + q("cosign.pub") + "]");
    }

    @Test
    void anyOfSeveralKeysMayHaveSigned() throws Rejected {
        String signer = verify("dir-img-cosign-valid", 1, SAMPLE, SAMPLE_DIGEST,
                "keys = [" + q("cosign2.pub") + ", " + q("some-rsa-key.pub") + ", " + q("cosign.pub") + "]");
        assertTrue(signer.endsWith("cosign.pub"), signer);
    }

    @Test
    void wrongKeyIsRejected() {
        String reason = rejected("dir-img-cosign-valid", 1, SAMPLE, SAMPLE_DIGEST, "keys = [" + q("cosign2.pub") + "]");
        assertTrue(reason.startsWith("it is not signed by any accepted key"), reason);
    }

    @Test
    void unknownKeyIsRejected() {
        String reason = rejected("dir-img-cosign-mixed", 1, SAMPLE, SAMPLE_DIGEST, "keys = [" + q("cosign.pub") + "]");
        assertTrue(reason.startsWith("it is not signed by any accepted key"), reason);
    }

    @Test
    void signatureForAnotherManifestIsRejected() {
        for (String dir : new String[] {"dir-img-cosign-modified-manifest", "dir-img-cosign-manifest-digest-error"}) {
            String digest = Fixtures.manifestDigest(dir);
            String reason = rejected(dir, 1, SAMPLE, digest, "keys = [" + q("cosign.pub") + "]");
            assertEquals("it is for manifest " + SAMPLE_DIGEST + ", not " + digest, reason);
        }
    }

    @Test
    void signatureForAnotherRepositoryIsRejectedUnlessThePolicyAcceptsIt() throws Rejected {
        Reference copy = Reference.parse("127.0.0.1:5000/copy");
        String reason = rejected("dir-img-cosign-valid", 1, copy, SAMPLE_DIGEST, "keys = [" + q("cosign.pub") + "]");
        assertTrue(reason.startsWith("the signature is for repository 192.168.64.2:5000/cosign-signed-single-sample,"
                + " not 127.0.0.1:5000/copy"), reason);
        verify("dir-img-cosign-valid", 1, copy, SAMPLE_DIGEST,
                "keys = [" + q("cosign.pub") + "]\nsigned_reference = \"any\"");
        verify("dir-img-cosign-valid", 1, copy, SAMPLE_DIGEST,
                "keys = [" + q("cosign.pub") + "]\nsigned_reference = \"" + SAMPLE.name() + "\"");
    }

    @Test
    void tagInSignedReferenceIsIgnored() throws Rejected {
        verify("dir-img-cosign-valid-with-tag", 1, Reference.parse("192.168.64.2:5000/skopeo-signed:other"),
                SAMPLE_DIGEST, "keys = [" + q("cosign.pub") + "]");
    }

    @Test
    void keySignatureWithRekorBundleVerifies() throws Rejected {
        String signer = verify("dir-img-cosign-key-rekor-valid", 1, Reference.parse("192.168.64.2:5000/cosign-signed/key-1"),
                REKOR_DIGEST, "keys = [" + q("cosign2.pub") + "]\nrekor = true\n" + TRUSTED_ROOT);
        assertTrue(signer.endsWith("cosign2.pub, Rekor log index 11608800"), signer);
    }

    @Test
    void tamperedRekorBundleIsRejected() {
        ClassicSignature sig = Fixtures.signature("dir-img-cosign-key-rekor-valid", 1);
        Map<String, String> annotations = new HashMap<>(sig.annotations());
        annotations.put(ClassicSignature.BUNDLE, annotations.get(ClassicSignature.BUNDLE)
                .replace("\"integratedTime\":1674251859", "\"integratedTime\":1674251860"));
        Rule rule = rule("keys = [" + q("cosign2.pub") + "]\nrekor = true\n" + TRUSTED_ROOT);
        String reason = assertThrows(Rejected.class, () -> verifier.verify(
                new ClassicSignature("tampered", sig.payload(), annotations),
                Reference.parse("192.168.64.2:5000/cosign-signed/key-1"), REKOR_DIGEST, rule)).getMessage();
        assertEquals("the Rekor entry's signed entry timestamp does not verify with the log's key", reason);
    }

    @Test
    void ruleRequiringRekorRejectsAKeySignatureWithoutIt() {
        String reason = rejected("dir-img-cosign-valid", 1, SAMPLE, SAMPLE_DIGEST,
                "keys = [" + q("cosign.pub") + "]\nrekor = true\n" + TRUSTED_ROOT);
        assertEquals("it has no Rekor bundle, which the rule requires", reason);
    }

    private static final Reference FULCIO_IMAGE = Reference.parse("192.168.64.2:5000/cosign-signed/fulcio-rekor-1");

    private static String keyless(String issuer, String subject) {
        return TRUSTED_ROOT + "[[default.keyless]]\nissuer = \"" + issuer + "\"\nsubject = \"" + subject + "\"\n";
    }

    @Test
    void keylessFulcioSignatureVerifiesOffline() throws Rejected {
        String signer = verify("dir-img-cosign-fulcio-rekor-valid", 1, FULCIO_IMAGE, REKOR_DIGEST,
                keyless(GITHUB, "mitr@redhat.com"));
        assertEquals("certificate subject mitr@redhat.com issuer " + GITHUB + " (Fulcio, Rekor log index 11605770)",
                signer);
    }

    @Test
    void keylessIdentityMayBeARegex() throws Rejected {
        verify("dir-img-cosign-fulcio-rekor-valid", 1, FULCIO_IMAGE, REKOR_DIGEST, TRUSTED_ROOT
                + "[[default.keyless]]\nissuer_regex = \"https://github\\\\.com/.*\"\nsubject_regex = \".*@redhat\\\\.com\"\n");
    }

    @Test
    void keylessSignatureOfAnotherIdentityIsRejected() {
        String reason = rejected("dir-img-cosign-fulcio-rekor-valid", 1, FULCIO_IMAGE, REKOR_DIGEST,
                keyless(GITHUB, "someone@example.com"));
        assertEquals("it is signed by subject mitr@redhat.com issuer " + GITHUB + ", which the rule does not accept"
                + " (it accepts subject 'someone@example.com' issuer '" + GITHUB + "')", reason);
        reason = rejected("dir-img-cosign-fulcio-rekor-valid", 1, FULCIO_IMAGE, REKOR_DIGEST,
                keyless("https://accounts.google.com", "mitr@redhat.com"));
        assertTrue(reason.startsWith("it is signed by subject mitr@redhat.com issuer " + GITHUB), reason);
    }

    @Test
    void keylessSignatureWithoutRekorBundleIsRejected() {
        ClassicSignature sig = Fixtures.signature("dir-img-cosign-fulcio-rekor-valid", 1);
        Map<String, String> annotations = new HashMap<>(sig.annotations());
        annotations.remove(ClassicSignature.BUNDLE);
        String reason = assertThrows(Rejected.class, () -> verifier.verify(
                new ClassicSignature("no bundle", sig.payload(), annotations), FULCIO_IMAGE, REKOR_DIGEST,
                rule(keyless(GITHUB, "mitr@redhat.com")))).getMessage();
        assertTrue(reason.startsWith("it has no Rekor bundle, and a short-lived Fulcio certificate needs one"), reason);
    }

    @Test
    void keylessSignatureNeedsACertificateTrust() {
        String reason = rejected("dir-img-cosign-fulcio-rekor-valid", 1, FULCIO_IMAGE, REKOR_DIGEST,
                "[default.ca]\nroots = " + q("pki_root_crts.pem") + "\n[[default.keyless]]\nissuer = \"" + GITHUB
                        + "\"\nsubject = \"mitr@redhat.com\"\n");
        assertTrue(reason.startsWith("the signing certificate does not chain to ca "), reason);
    }

    @Test
    void keylessSignatureIsRejectedByAKeyOnlyRule() {
        String reason = rejected("dir-img-cosign-fulcio-rekor-valid", 1, FULCIO_IMAGE, REKOR_DIGEST,
                "keys = [" + q("cosign.pub") + "]");
        assertEquals("it is a keyless signature and the rule accepts no keyless identity, nor does any accepted key"
                + " verify it", reason);
    }

    private static final String PKI = "[default.ca]\nroots = " + q("pki_root_crts.pem") + "\nintermediates = "
            + q("pki_intermediate_crts.pem") + "\n";

    @Test
    void privatePkiSignatureVerifies() throws Rejected {
        String signer = verify("dir-img-cosign-pki-valid", 1, Reference.parse("localhost:5000/test"),
                Fixtures.manifestDigest("dir-img-cosign-pki-valid"),
                PKI + "[[default.keyless]]\nsubject = \"qiwan@redhat.com\"\n");
        assertTrue(signer.startsWith("certificate subject qiwan@redhat.com, myhost.example.com issuer (none) (ca "),
                signer);
    }

    @Test
    void privatePkiSignatureOfAnotherSubjectIsRejected() {
        String reason = rejected("dir-img-cosign-pki-valid", 1, Reference.parse("localhost:5000/test"),
                Fixtures.manifestDigest("dir-img-cosign-pki-valid"),
                PKI + "[[default.keyless]]\nsubject = \"mitr@redhat.com\"\n");
        assertTrue(reason.startsWith("it is signed by subject qiwan@redhat.com, myhost.example.com issuer (none),"),
                reason);
    }

    @Test
    void privatePkiCertificateHasNoOidcIssuerForAFulcioRule() {
        String reason = rejected("dir-img-cosign-pki-valid", 1, Reference.parse("localhost:5000/test"),
                Fixtures.manifestDigest("dir-img-cosign-pki-valid"), keyless(GITHUB, "qiwan@redhat.com"));
        assertTrue(reason.startsWith("it is signed by subject qiwan@redhat.com"), reason);
        reason = rejected("dir-img-cosign-pki-valid", 1, Reference.parse("localhost:5000/test"),
                Fixtures.manifestDigest("dir-img-cosign-pki-valid"),
                TRUSTED_ROOT + "[[default.keyless]]\nissuer_regex = \".*\"\nsubject = \"qiwan@redhat.com\"\n");
        assertTrue(reason.startsWith("it is signed by subject qiwan@redhat.com"), reason);
    }

    @Test
    void otherAttachmentIsNotASignature() throws Exception {
        assertEquals("text/plain", Fixtures.mimeType("dir-img-cosign-other-attachment", 1));
        String reason = rejected("dir-img-cosign-other-attachment", 1, SAMPLE, SAMPLE_DIGEST,
                "keys = [" + q("cosign.pub") + "]");
        assertTrue(reason.startsWith("it has no dev.cosignproject.cosign/signature annotation")
                || reason.startsWith("it is not signed"), reason);
    }
}
