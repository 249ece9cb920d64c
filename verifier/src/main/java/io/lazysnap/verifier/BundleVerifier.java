package io.lazysnap.verifier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sigstore.KeylessVerificationException;
import dev.sigstore.VerificationOptions;
import dev.sigstore.bundle.Bundle;
import dev.sigstore.bundle.BundleParseException;
import dev.sigstore.encryption.certificates.Certificates;
import io.lazysnap.registry.Reference;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.stream.Collectors;

/**
 * Checks a sigstore bundle (cosign v3's format) for an image: a DSSE envelope over an in-toto statement whose
 * subject is the manifest digest and whose predicate type is cosign's image signature. Keyless bundles are
 * verified by sigstore-java (Fulcio chain, SCT, Rekor entry, signature); key-based ones, which sigstore-java does
 * not take, here: the DSSE signature with an accepted key, and the Rekor SET where the rule asks for it.
 */
final class BundleVerifier {

    static final String PREDICATE_TYPE = "https://sigstore.dev/cosign/sign/v1";
    static final String IN_TOTO = "application/vnd.in-toto+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** @return who signed, for the verdict's reason */
    String verify(SignatureFinder.Attachment bundle, Reference image, String manifestDigest, Rule rule)
            throws Rejected {
        String text = new String(bundle.bytes(), StandardCharsets.UTF_8);
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (IOException e) {
            throw new Rejected("it is not JSON");
        }
        JsonNode envelope = root.path("dsseEnvelope");
        if (!envelope.isObject()) {
            throw new Rejected("it signs a blob digest, not an in-toto statement about an image");
        }
        String signer = root.path("verificationMaterial").has("publicKey")
                ? verifyKeyed(root, envelope, rule)
                : verifyKeyless(text, manifestDigest, rule);
        checkStatement(envelope, image, manifestDigest, rule);
        return signer;
    }

    private static String verifyKeyless(String text, String manifestDigest, Rule rule) throws Rejected {
        Signers signers = rule.signers();
        if (signers.trustedRoot() == null || signers.identities().isEmpty()) {
            throw new Rejected("it is keyless, and the rule accepts no keyless identity with a trusted_root");
        }
        Bundle bundle;
        try {
            bundle = Bundle.from(new StringReader(text));
        } catch (BundleParseException e) {
            throw new Rejected("it is not a valid sigstore bundle: " + e.getMessage(), e);
        }
        try {
            signers.trustedRoot().keyless().verify(HexFormat.of().parseHex(manifestDigest.substring(7)), bundle,
                    VerificationOptions.empty());
        } catch (KeylessVerificationException | RuntimeException e) {
            throw new Rejected("it does not verify against " + signers.trustedRoot() + ": " + e.getMessage(), e);
        }
        CertificateIdentity identity = CertificateIdentity.of(Certificates.getLeaf(bundle.getCertPath()));
        if (signers.identities().stream().noneMatch(i -> i.matches(identity))) {
            throw new Rejected("it is signed by " + identity + ", which the rule does not accept (it accepts "
                    + signers.identities().stream().map(Identity::toString).collect(Collectors.joining("; ")) + ")");
        }
        return "certificate " + identity + " (sigstore bundle, Rekor log index "
                + bundle.getEntries().get(0).getLogIndex() + ")";
    }

    private static String verifyKeyed(JsonNode root, JsonNode envelope, Rule rule) throws Rejected {
        byte[] payload = decode(envelope.path("payload"), "payload");
        byte[] pae = pae(envelope.path("payloadType").asText(), payload);
        for (JsonNode s : envelope.path("signatures")) {
            byte[] signature = decode(s.path("sig"), "signature");
            for (TrustedKey key : rule.signers().keys()) {
                if (key.verifies(pae, signature)) {
                    return "key " + key.name() + " (sigstore bundle" + checkTlog(root, payload, rule) + ")";
                }
            }
        }
        throw new Rejected(rule.signers().keys().isEmpty() ? "it is signed with a key, and the rule accepts no key"
                : "it is not signed by any accepted key");
    }

    private static String checkTlog(JsonNode root, byte[] payload, Rule rule) throws Rejected {
        JsonNode entry = root.path("verificationMaterial").path("tlogEntries").path(0);
        if (!rule.signers().requireTlog()) {
            return "";
        }
        JsonNode set = entry.path("inclusionPromise").path("signedEntryTimestamp");
        if (!set.isTextual()) {
            throw new Rejected("it has no Rekor entry with a signed entry timestamp, which the rule requires");
        }
        TlogEntry tlog = new TlogEntry(entry.path("canonicalizedBody").asText(),
                entry.path("integratedTime").asLong(), entry.path("logIndex").asLong(),
                decode(entry.path("logId").path("keyId"), "log id"), decode(set, "signed entry timestamp"));
        tlog.verifySet(rule.signers().trustedRoot());
        JsonNode body;
        try {
            body = JSON.readTree(Base64.getDecoder().decode(tlog.body()));
        } catch (IOException | IllegalArgumentException e) {
            throw new Rejected("its Rekor entry body is not base64 JSON", e);
        }
        String hash = HexFormat.of().formatHex(TlogEntry.sha256(payload));
        if (!hash.equals(body.path("spec").path("payloadHash").path("value").asText())) {
            throw new Rejected("its Rekor entry is for another payload");
        }
        return ", Rekor log index " + tlog.logIndex();
    }

    private static void checkStatement(JsonNode envelope, Reference image, String manifestDigest, Rule rule)
            throws Rejected {
        if (!IN_TOTO.equals(envelope.path("payloadType").asText())) {
            throw new Rejected("its payload is a " + envelope.path("payloadType").asText() + ", not " + IN_TOTO);
        }
        JsonNode statement;
        try {
            statement = JSON.readTree(decode(envelope.path("payload"), "payload"));
        } catch (IOException e) {
            throw new Rejected("its in-toto statement is not JSON");
        }
        if (!PREDICATE_TYPE.equals(statement.path("predicateType").asText())) {
            throw new Rejected("its predicate type is " + statement.path("predicateType").asText()
                    + ", not the image signature type " + PREDICATE_TYPE);
        }
        String hex = manifestDigest.substring(manifestDigest.indexOf(':') + 1);
        for (JsonNode subject : statement.path("subject")) {
            if (hex.equals(subject.path("digest").path("sha256").asText())) {
                String name = subject.path("name").asText();
                if (!name.isEmpty()) {
                    rule.signedReference().check(image, name);
                }
                return;
            }
        }
        throw new Rejected("its statement's subjects do not include " + manifestDigest);
    }

    // DSSE pre-authentication encoding: what a DSSE signature is over.
    static byte[] pae(String payloadType, byte[] payload) {
        byte[] head = ("DSSEv1 " + payloadType.getBytes(StandardCharsets.UTF_8).length + " " + payloadType + " "
                + payload.length + " ").getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[head.length + payload.length];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(payload, 0, out, head.length, payload.length);
        return out;
    }

    private static byte[] decode(JsonNode node, String what) throws Rejected {
        try {
            if (!node.isTextual()) {
                throw new IllegalArgumentException("missing");
            }
            return Base64.getDecoder().decode(node.asText());
        } catch (IllegalArgumentException e) {
            throw new Rejected("its " + what + " is not base64", e);
        }
    }
}
