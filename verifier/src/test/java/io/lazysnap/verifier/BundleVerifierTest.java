package io.lazysnap.verifier;

import io.lazysnap.registry.Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Sigstore bundles: cosign's real keyless bundle fixture, and key-based bundles made here. */
class BundleVerifierTest {

    private static final Path FIXTURE = Fixtures.COSIGN.resolve("sigstore-cosign/oci-attestation.sigstore.json");
    private static final String FIXTURE_DIGEST =
            "sha256:732112270d7e59418a8c080b134b24cabd67d250d0d0147a97ed95ba5c280aa4";
    private static final Reference FIXTURE_IMAGE = Reference.parse("127.0.0.1:60943/repo");
    private static final String KEYLESS = "trusted_root = \"" + Fixtures.COSIGN.resolve(
            "sigstore-cosign/trusted_root_pgi.json") + "\"\n[[default.keyless]]\nissuer = "
            + "\"https://github.com/login/oauth\"\nsubject = \"%s\"\n";

    private final BundleVerifier verifier = new BundleVerifier();

    private static Rule rule(String body) {
        return Fixtures.policy("[default]\n" + body).ruleFor(FIXTURE_IMAGE);
    }

    private String rejected(byte[] bundle, Reference image, String digest, Rule rule) {
        return assertThrows(Rejected.class, () -> verifier.verify(new SignatureFinder.Attachment("b", bundle), image,
                digest, rule)).getMessage();
    }

    @Test
    void keylessBundleVerifiesOfflineButIsAnAttestationNotAnImageSignature() throws Exception {
        // Chain, SCT, DSSE signature, Rekor entry and identity all pass; only the predicate type is not cosign's
        // image signature type (the fixture is an attestation), which is the one check left to fail.
        String reason = rejected(Files.readAllBytes(FIXTURE), FIXTURE_IMAGE, FIXTURE_DIGEST,
                rule(KEYLESS.formatted("cody@soyland.com")));
        assertEquals("its predicate type is https://cosign.sigstore.dev/attestation/v1, not the image signature"
                + " type https://sigstore.dev/cosign/sign/v1", reason);
    }

    @Test
    void keylessBundleOfAnotherIdentityIsRejected() throws Exception {
        String reason = rejected(Files.readAllBytes(FIXTURE), FIXTURE_IMAGE, FIXTURE_DIGEST,
                rule(KEYLESS.formatted("someone@example.com")));
        assertTrue(reason.startsWith("it is signed by subject cody@soyland.com issuer https://github.com/login/oauth,"
                + " which the rule does not accept"), reason);
    }

    @Test
    void keylessBundleForAnotherDigestIsRejected() throws Exception {
        String reason = rejected(Files.readAllBytes(FIXTURE), FIXTURE_IMAGE, "sha256:" + "ab".repeat(32),
                rule(KEYLESS.formatted("cody@soyland.com")));
        assertTrue(reason.startsWith("it does not verify against "), reason);
    }

    @Test
    void tamperedKeylessBundleIsRejected() throws Exception {
        String json = Files.readString(FIXTURE);
        String tampered = json.replaceFirst("\"integratedTime\": ?\"1740770291\"", "\"integratedTime\":\"1740770292\"");
        assertTrue(!tampered.equals(json));
        String reason = rejected(tampered.getBytes(StandardCharsets.UTF_8), FIXTURE_IMAGE, FIXTURE_DIGEST,
                rule(KEYLESS.formatted("cody@soyland.com")));
        assertTrue(reason.startsWith("it does not verify against "), reason);
    }

    @Test
    void keyBasedBundleVerifies(@TempDir Path dir) throws Exception {
        TestKeys keys = TestKeys.ecdsa(dir, "k");
        TestKeys other = TestKeys.ecdsa(dir, "other");
        Reference image = Reference.parse("registry.example.com/app");
        String digest = "sha256:" + "12".repeat(32);
        Rule rule = Fixtures.policy("[default]\nkeys = [\"" + keys.publicPem() + "\"]\n").ruleFor(image);

        String signer = verifier.verify(new SignatureFinder.Attachment("b",
                keys.bundle(image.name(), digest, BundleVerifier.PREDICATE_TYPE)), image, digest, rule);
        assertEquals("key " + keys.publicPem() + " (sigstore bundle)", signer);

        assertEquals("it is not signed by any accepted key", rejected(
                other.bundle(image.name(), digest, BundleVerifier.PREDICATE_TYPE), image, digest, rule));
        assertEquals("its statement's subjects do not include " + digest, rejected(
                keys.bundle(image.name(), "sha256:" + "34".repeat(32), BundleVerifier.PREDICATE_TYPE), image, digest,
                rule));
        assertTrue(rejected(keys.bundle("registry.example.com/other", digest, BundleVerifier.PREDICATE_TYPE), image,
                digest, rule).startsWith("the signature is for repository registry.example.com/other"));
        assertTrue(rejected(keys.bundle(image.name(), digest, "https://slsa.dev/provenance/v1"), image, digest, rule)
                .startsWith("its predicate type is https://slsa.dev/provenance/v1"));
    }
}
