package io.lazysnap.verifier;

import io.lazysnap.testkit.Registry;
import io.lazysnap.registry.Descriptor;
import io.lazysnap.registry.Manifest;
import io.lazysnap.registry.MediaTypes;
import io.lazysnap.registry.Reference;
import io.lazysnap.registry.RegistryClient;
import io.lazysnap.registry.RegistryListener;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static io.lazysnap.verifier.Fixtures.q;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Verification through a real registry: the fixtures' signatures and signatures made here are pushed in cosign's
 * layout, and the verifier finds and judges them over HTTP.
 */
class RegistryVerificationTest {

    @TempDir
    static Path dir;
    private static Registry server;
    private static RegistryClient registry;
    private static final AtomicInteger REQUESTS = new AtomicInteger();
    private static TestKeys keys;
    private static TestKeys otherKeys;

    @BeforeAll
    static void start() throws Exception {
        server = Registry.start(dir);
        registry = RegistryClient.builder().plainHttp(server.host())
                .retries(1, Duration.ofMillis(10), Duration.ofMillis(10))
                .listener(new RegistryListener() {
                    @Override
                    public void exchanged(String host, String method, int status, long nanos) {
                        REQUESTS.incrementAndGet();
                    }
                }).build();
        keys = TestKeys.ecdsa(dir, "signer");
        otherKeys = TestKeys.ecdsa(dir, "other");
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (registry != null) {
            registry.close();
        }
        if (server != null) {
            server.close();
        }
    }

    private Reference ref(String path) {
        return Reference.parse(server.host() + "/" + path);
    }

    private Verifier verifier(String policy) {
        return Verifier.builder(Fixtures.policy(policy), registry).build();
    }

    /** Pushes a small image (one random layer) and returns its manifest digest. */
    private static String pushImage(Reference image) throws Exception {
        Descriptor layer = registry.pushBlob(image, MediaTypes.OCI_LAYER_GZIP,
                UUID.randomUUID().toString().getBytes(StandardCharsets.UTF_8));
        Descriptor config = registry.pushBlob(image, MediaTypes.OCI_CONFIG,
                ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\""
                        + layer.digest() + "\"]}}").getBytes(StandardCharsets.UTF_8));
        Manifest manifest = Manifest.build(config, List.of(layer), Map.of());
        return registry.pushManifest(image, MediaTypes.OCI_MANIFEST, manifest.bytes()).digest();
    }

    private static final String SAMPLE = "192.168.64.2:5000/cosign-signed-single-sample";

    private String fixturePolicy() {
        return "[[rule]]\nmatch = [\"" + server.host() + "/fixtures/**\"]\nkeys = [" + q("cosign.pub")
                + "]\nsigned_reference = \"" + SAMPLE + "\"\n";
    }

    @Test
    void fixtureSignaturesVerifyThroughTheRegistry() throws Exception {
        String digest = Fixtures.manifestDigest("dir-img-cosign-valid");
        Reference image = ref("fixtures/valid");
        SignatureManifest.append(registry, image, digest, List.of(Fixtures.signature("dir-img-cosign-valid", 1)));

        Verdict verdict = verifier(fixturePolicy()).verify(image, digest);
        assertEquals(Verdict.Outcome.VERIFIED, verdict.outcome(), verdict.toString());
        assertEquals("signed by key " + Fixtures.file("cosign.pub") + ", signature 1 of " + image.name() + ":"
                + digest.replace(':', '-') + ".sig", verdict.reason());
        assertEquals("rule 1 [" + server.host() + "/fixtures/**]", verdict.rule());
        assertTrue(verdict.allowed());
    }

    @Test
    void aContainersPolicyJsonJudgesTheFixturesAsTheTomlPolicyDoes() throws Exception {
        String digest = Fixtures.manifestDigest("dir-img-cosign-valid");
        Reference image = ref("fixtures/json-valid");
        SignatureManifest.append(registry, image, digest, List.of(Fixtures.signature("dir-img-cosign-valid", 1)));
        Reference unknownKey = ref("fixtures/json-unknown-key");
        SignatureManifest.append(registry, unknownKey, digest, List.of(Fixtures.signature("dir-img-cosign-mixed", 1)));
        Path json = dir.resolve("policy.json");
        Files.writeString(json, """
                {
                  "default": [{"type": "reject"}],
                  "transports": {"docker": {
                    "%s/fixtures": [{"type": "sigstoreSigned", "keyPath": %s,
                                     "signedIdentity": {"type": "exactRepository", "dockerRepository": "%s"}}],
                    "%s/open": [{"type": "insecureAcceptAnything"}]
                  }}
                }
                """.formatted(server.host(), q("cosign.pub"), SAMPLE, server.host()));
        Verifier verifier = Verifier.builder(Policy.load(json), registry).build();

        Verdict verdict = verifier.verify(image, digest);
        assertEquals(Verdict.Outcome.VERIFIED, verdict.outcome(), verdict.toString());
        assertEquals("signed by key " + Fixtures.file("cosign.pub") + ", signature 1 of " + image.name() + ":"
                + digest.replace(':', '-') + ".sig", verdict.reason());
        verdict = verifier.verify(unknownKey, digest);
        assertEquals(Verdict.Outcome.REFUSED, verdict.outcome(), verdict.toString());
        assertTrue(verdict.reason().contains("it is not signed by any accepted key"), verdict.reason());
        verdict = verifier.verify(ref("elsewhere/app"), digest);
        assertEquals(Verdict.Outcome.REFUSED, verdict.outcome(), "the default rejects: " + verdict);
        assertTrue(verdict.reason().equals("the policy rejects these images"), verdict.reason());
        assertTrue(verifier.verify(ref("open/app"), digest).allowed());
    }

    @Test
    void validSignatureBesideAnUnknownKeysIsEnough() throws Exception {
        String digest = Fixtures.manifestDigest("dir-img-cosign-mixed");
        Reference image = ref("fixtures/mixed");
        SignatureManifest.append(registry, image, digest, List.of(Fixtures.signature("dir-img-cosign-mixed", 1),
                Fixtures.signature("dir-img-cosign-mixed", 2)));
        Verdict verdict = verifier(fixturePolicy()).verify(image, digest);
        assertEquals(Verdict.Outcome.VERIFIED, verdict.outcome(), verdict.toString());
        assertTrue(verdict.reason().endsWith("signature 2 of " + image.name() + ":" + digest.replace(':', '-')
                + ".sig"), verdict.reason());
    }

    @Test
    void fixtureNegativesAreRefusedWithTheirReason() throws Exception {
        Verifier verifier = verifier(fixturePolicy());

        String modified = Fixtures.manifestDigest("dir-img-cosign-modified-manifest");
        Reference image = ref("fixtures/modified");
        SignatureManifest.append(registry, image, modified,
                List.of(Fixtures.signature("dir-img-cosign-modified-manifest", 1)));
        Verdict verdict = verifier.verify(image, modified);
        assertEquals(Verdict.Outcome.REFUSED, verdict.outcome());
        assertTrue(verdict.reason().endsWith("it is for manifest " + Fixtures.manifestDigest("dir-img-cosign-valid")
                + ", not " + modified), verdict.reason());
        assertTrue(verdict.toString().startsWith("image " + image + " (" + modified + ") refused by rule 1"));

        String sample = Fixtures.manifestDigest("dir-img-cosign-valid");
        image = ref("fixtures/unknown-key");
        SignatureManifest.append(registry, image, sample, List.of(Fixtures.signature("dir-img-cosign-mixed", 1)));
        verdict = verifier.verify(image, sample);
        assertEquals(Verdict.Outcome.REFUSED, verdict.outcome());
        assertTrue(verdict.reason().contains("it is not signed by any accepted key"), verdict.reason());

        image = ref("fixtures/unsigned");
        verdict = verifier.verify(image, sample);
        assertEquals(Verdict.Outcome.REFUSED, verdict.outcome());
        assertEquals("no signature: " + image.name() + ":" + sample.replace(':', '-') + ".sig holds no cosign"
                + " signature and no sigstore bundle refers to " + sample, verdict.reason());
    }

    @Test
    void otherAttachmentIsIgnored() throws Exception {
        String digest = Fixtures.manifestDigest("dir-img-cosign-other-attachment");
        Reference tag = ref("fixtures/attachment").withTag(digest.replace(':', '-') + ".sig");
        ClassicSignature attachment = Fixtures.signature("dir-img-cosign-other-attachment", 1);
        Descriptor layer = registry.pushBlob(tag, Fixtures.mimeType("dir-img-cosign-other-attachment", 1),
                attachment.payload()).withAnnotations(attachment.annotations());
        Descriptor config = registry.pushBlob(tag, MediaTypes.OCI_CONFIG, "{}".getBytes(StandardCharsets.UTF_8));
        registry.pushManifest(tag, MediaTypes.OCI_MANIFEST, Manifest.build(config, List.of(layer), Map.of()).bytes());
        Verdict verdict = verifier(fixturePolicy()).verify(ref("fixtures/attachment"), digest);
        assertEquals(Verdict.Outcome.REFUSED, verdict.outcome());
        assertTrue(verdict.reason().startsWith("no signature: "), verdict.reason());
    }

    @Test
    void keylessAndPrivatePkiFixturesVerifyThroughTheRegistry() throws Exception {
        String fulcioDigest = Fixtures.manifestDigest("dir-img-cosign-fulcio-rekor-valid");
        Reference fulcio = ref("keyless/fulcio");
        SignatureManifest.append(registry, fulcio, fulcioDigest,
                List.of(Fixtures.signature("dir-img-cosign-fulcio-rekor-valid", 1)));
        String pkiDigest = Fixtures.manifestDigest("dir-img-cosign-pki-valid");
        Reference pki = ref("keyless/pki");
        SignatureManifest.append(registry, pki, pkiDigest, List.of(Fixtures.signature("dir-img-cosign-pki-valid", 1)));
        Verifier verifier = verifier("[[rule]]\nmatch = [\"" + server.host() + "/keyless/fulcio\"]\n"
                + "trusted_root = \"" + Fixtures.TRUSTED_ROOT + "\"\n"
                + "signed_reference = \"192.168.64.2:5000/cosign-signed/fulcio-rekor-1\"\n"
                + "[[rule.keyless]]\nissuer = \"https://github.com/login/oauth\"\nsubject = \"mitr@redhat.com\"\n"
                + "[[rule]]\nmatch = [\"" + server.host() + "/keyless/pki\"]\nsigned_reference = \"any\"\n"
                + "[rule.ca]\nroots = " + q("pki_root_crts.pem") + "\nintermediates = " + q("pki_intermediate_crts.pem")
                + "\n[[rule.keyless]]\nsubject = \"qiwan@redhat.com\"\n");

        Verdict verdict = verifier.verify(fulcio, fulcioDigest);
        assertEquals(Verdict.Outcome.VERIFIED, verdict.outcome(), verdict.toString());
        assertTrue(verdict.reason().startsWith("signed by certificate subject mitr@redhat.com issuer"
                + " https://github.com/login/oauth (Fulcio, Rekor log index 11605770)"), verdict.reason());
        verdict = verifier.verify(pki, pkiDigest);
        assertEquals(Verdict.Outcome.VERIFIED, verdict.outcome(), verdict.toString());
        // The Fulcio signature is not accepted where only the private CA is trusted.
        SignatureManifest.append(registry, pki, fulcioDigest,
                List.of(Fixtures.signature("dir-img-cosign-fulcio-rekor-valid", 1)));
        verdict = verifier.verify(pki, fulcioDigest);
        assertEquals(Verdict.Outcome.REFUSED, verdict.outcome());
        assertTrue(verdict.reason().contains("which the rule does not accept"), verdict.reason());
    }

    private String keyPolicy(String mode) {
        return "[default]\nmode = \"" + mode + "\"\nkeys = [\"" + keys.publicPem() + "\"]\n";
    }

    @Test
    void imageSignedHereVerifiesAndTheOthersAreRefused() throws Exception {
        Reference signed = ref("own/signed:1");
        String digest = pushImage(signed);
        keys.signer().sign(registry, signed, digest);
        Reference unsigned = ref("own/unsigned:1");
        String unsignedDigest = pushImage(unsigned);
        Reference otherKey = ref("own/other-key:1");
        String otherDigest = pushImage(otherKey);
        otherKeys.signer().sign(registry, otherKey, otherDigest);

        Verifier verifier = verifier(keyPolicy("enforce"));
        assertEquals(Verdict.Outcome.VERIFIED, verifier.verify(signed, digest).outcome());
        assertEquals(Verdict.Outcome.VERIFIED, verifier.verify(signed).outcome(), "the tag resolves to the digest");
        Verdict verdict = verifier.verify(unsigned, unsignedDigest);
        assertEquals(Verdict.Outcome.REFUSED, verdict.outcome());
        assertTrue(verdict.reason().startsWith("no signature"), verdict.reason());
        verdict = verifier.verify(otherKey, otherDigest);
        assertEquals(Verdict.Outcome.REFUSED, verdict.outcome());
        assertTrue(verdict.reason().contains("it is not signed by any accepted key (" + keys.publicPem() + ")"),
                verdict.reason());

        Verdict warned = verifier(keyPolicy("warn")).verify(unsigned, unsignedDigest);
        assertEquals(Verdict.Outcome.WARNED, warned.outcome());
        assertTrue(warned.allowed());
        assertEquals(Verdict.Outcome.SKIPPED, verifier(keyPolicy("skip")).verify(unsigned, unsignedDigest).outcome());
    }

    @Test
    void aValidSignatureOfAnotherImageDoesNotCount() throws Exception {
        Reference a = ref("copy/a:1");
        String digestA = pushImage(a);
        ClassicSignature forA = keys.signer().signature(a, digestA);
        Reference b = ref("copy/b:1");
        String digestB = pushImage(b);
        // B's .sig lists A's valid signature (same repository name forged too) beside garbage.
        ClassicSignature forAasB = new ClassicSignature("copied", SimpleSigningPayload.of(b.name(), digestA),
                Map.of(ClassicSignature.SIGNATURE, java.util.Base64.getEncoder().encodeToString(
                        keys.signer().sign(SimpleSigningPayload.of(b.name(), digestA)))));
        ClassicSignature garbage = new ClassicSignature("garbage", "{}".getBytes(StandardCharsets.UTF_8),
                Map.of(ClassicSignature.SIGNATURE, "AAAA"));
        SignatureManifest.append(registry, b, digestB, List.of(forA, forAasB, garbage));

        Verdict verdict = verifier(keyPolicy("enforce")).verify(b, digestB);
        assertEquals(Verdict.Outcome.REFUSED, verdict.outcome());
        assertTrue(verdict.reason().startsWith("none of 3 signatures is accepted: "), verdict.reason());
        assertTrue(verdict.reason().contains("it is for manifest " + digestA + ", not " + digestB), verdict.reason());
        assertTrue(verdict.reason().contains("it is not signed by any accepted key"), verdict.reason());
    }

    @Test
    void aMovedTagDoesNotChangeTheVerdictForADigest() throws Exception {
        Reference image = ref("moving/app:latest");
        String signedDigest = pushImage(image);
        keys.signer().sign(registry, image, signedDigest);
        Verifier verifier = verifier(keyPolicy("enforce"));
        assertEquals(Verdict.Outcome.VERIFIED, verifier.verify(image, signedDigest).outcome());
        String movedDigest = pushImage(image); // the tag now names an unsigned manifest
        assertEquals(Verdict.Outcome.REFUSED, verifier.verify(image, movedDigest).outcome());
        assertEquals(Verdict.Outcome.REFUSED, verifier.verify(image).outcome());
    }

    @Test
    void aSignedIndexCoversTheManifestsItLists() throws Exception {
        Reference repo = ref("multi/app");
        String amd64 = pushImage(repo.withTag("amd64"));
        String arm64 = pushImage(repo.withTag("arm64"));
        String unlisted = pushImage(repo.withTag("unlisted"));
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
                + entry(repo, amd64, "amd64") + "," + entry(repo, arm64, "arm64") + "]}")
                .getBytes(StandardCharsets.UTF_8);
        Reference tagged = repo.withTag("v1");
        String indexDigest = registry.pushManifest(tagged, MediaTypes.OCI_INDEX, index).digest();
        keys.signer().sign(registry, tagged, indexDigest);

        Verifier verifier = verifier(keyPolicy("enforce"));
        Verdict verdict = verifier.verify(tagged, arm64);
        assertEquals(Verdict.Outcome.VERIFIED, verdict.outcome(), verdict.toString());
        assertTrue(verdict.reason().endsWith("(for its index " + indexDigest + ")"), verdict.reason());
        verdict = verifier.verify(tagged, unlisted);
        assertEquals(Verdict.Outcome.REFUSED, verdict.outcome());
        assertTrue(verdict.reason().startsWith("no signature"), verdict.reason());
    }

    private static String entry(Reference repo, String digest, String arch) throws Exception {
        long size = registry.manifest(repo.withDigest(digest)).bytes().length;
        return "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + digest + "\",\"size\":" + size
                + ",\"platform\":{\"architecture\":\"" + arch + "\",\"os\":\"linux\"}}";
    }

    @Test
    void cachedVerdictsCostNoRequestsAndConcurrentCallsShareOne() throws Exception {
        Reference image = ref("cached/app:1");
        String digest = pushImage(image);
        keys.signer().sign(registry, image, digest);
        Verifier verifier = verifier(keyPolicy("enforce"));
        int before = REQUESTS.get();
        List<Thread> threads = new java.util.ArrayList<>();
        List<Verdict> verdicts = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
        for (int i = 0; i < 8; i++) {
            Thread t = new Thread(() -> verdicts.add(verifier.verify(image, digest)));
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        int firstRound = REQUESTS.get() - before;
        assertTrue(verdicts.stream().allMatch(v -> v.outcome() == Verdict.Outcome.VERIFIED));
        assertTrue(firstRound <= 4, "8 concurrent verifications made " + firstRound + " requests");
        int again = REQUESTS.get();
        assertEquals(Verdict.Outcome.VERIFIED, verifier.verify(image, digest).outcome());
        assertEquals(again, REQUESTS.get(), "a cached verdict asks the registry nothing");
    }

    @Test
    void keyBasedBundleFoundThroughTheReferrersTag() throws Exception {
        Reference image = ref("bundles/app:1");
        String digest = pushImage(image);
        Reference other = ref("bundles/other:1");
        String otherDigest = pushImage(other);
        pushBundle(image, digest, keys.bundle(image.name(), digest, BundleVerifier.PREDICATE_TYPE));
        pushBundle(other, otherDigest, keys.bundle(other.name(), digest, BundleVerifier.PREDICATE_TYPE));

        Verifier verifier = verifier(keyPolicy("enforce"));
        Verdict verdict = verifier.verify(image, digest);
        assertEquals(Verdict.Outcome.VERIFIED, verdict.outcome(), verdict.toString());
        assertTrue(verdict.reason().startsWith("signed by key " + keys.publicPem() + " (sigstore bundle), bundle sha256:"),
                verdict.reason());
        verdict = verifier.verify(other, otherDigest);
        assertEquals(Verdict.Outcome.REFUSED, verdict.outcome());
        assertTrue(verdict.reason().endsWith("its statement's subjects do not include " + otherDigest),
                verdict.reason());
        assertFalse(verdict.allowed());
    }

    /** Pushes a bundle as an OCI 1.1 referrer of {@code digest}, listed by the referrers tag fallback. */
    private static void pushBundle(Reference image, String digest, byte[] bundle) throws Exception {
        String type = "application/vnd.dev.sigstore.bundle.v0.3+json";
        Descriptor layer = registry.pushBlob(image, type, bundle);
        Descriptor empty = registry.pushBlob(image, "application/vnd.oci.empty.v1+json",
                "{}".getBytes(StandardCharsets.UTF_8));
        long subjectSize = registry.manifest(image.withDigest(digest)).bytes().length;
        byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"artifactType\":\""
                + type + "\",\"config\":" + descriptor(empty) + ",\"layers\":[" + descriptor(layer) + "],\"subject\":"
                + "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + digest + "\",\"size\":"
                + subjectSize + "}}").getBytes(StandardCharsets.UTF_8);
        Descriptor referrer = registry.pushManifest(image.withDigest(Fixtures.sha256(manifest)),
                MediaTypes.OCI_MANIFEST, manifest);
        byte[] index = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[{"
                + "\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + referrer.digest() + "\",\"size\":"
                + referrer.size() + ",\"artifactType\":\"" + type + "\"}]}").getBytes(StandardCharsets.UTF_8);
        registry.pushManifest(image.withTag(digest.replace(':', '-')), MediaTypes.OCI_INDEX, index);
    }

    private static String descriptor(Descriptor d) {
        return "{\"mediaType\":\"" + d.mediaType() + "\",\"digest\":\"" + d.digest() + "\",\"size\":" + d.size() + "}";
    }
}
