package io.lazysnap.verifier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.time.Instant;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;

/**
 * A Rekor transparency log entry with its signed entry timestamp (SET): Rekor's signed promise that the entry
 * is in the log, checkable offline with the log's key. The entry's integrated time is the trusted signing time
 * that short-lived Fulcio certificates are checked at.
 */
record TlogEntry(String body, long integratedTime, long logIndex, byte[] logId, byte[] signedEntryTimestamp) {

    private static final ObjectMapper JSON = new ObjectMapper();

    Instant time() {
        return Instant.ofEpochSecond(integratedTime);
    }

    /** Checks the SET against the trusted root's key for this log at the integrated time. */
    void verifySet(TrustedRoot root) throws Rejected {
        PublicKey key = root.rekorKey(logId, time()).orElseThrow(() -> new Rejected("the Rekor entry is from log "
                + HexFormat.of().formatHex(logId) + ", which " + root + " does not trust at " + time()));
        if (!Signatures.verify(key, signableContent(), signedEntryTimestamp)) {
            throw new Rejected("the Rekor entry's signed entry timestamp does not verify with the log's key");
        }
    }

    // RFC 8785 canonical JSON of the four fields, in key order: all are plain ASCII, so no escaping is involved.
    private byte[] signableContent() {
        ObjectNode node = JSON.createObjectNode()
                .put("body", body)
                .put("integratedTime", integratedTime)
                .put("logID", HexFormat.of().formatHex(logId))
                .put("logIndex", logIndex);
        return node.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Checks that the entry records exactly this signature: a {@code hashedrekord} whose hash is that of
     * {@code payload}, whose signature is {@code signature}, and whose key or certificate is {@code signer}.
     */
    void requireHashedRekord(byte[] payload, byte[] signature, byte[] signerDer) throws Rejected {
        JsonNode entry;
        try {
            entry = JSON.readTree(Base64.getDecoder().decode(body));
        } catch (IOException | IllegalArgumentException e) {
            throw new Rejected("the Rekor entry body is not base64 JSON", e);
        }
        if (!"hashedrekord".equals(entry.path("kind").asText()) || !"0.0.1".equals(entry.path("apiVersion").asText())) {
            throw new Rejected("the Rekor entry is a " + entry.path("kind").asText() + " "
                    + entry.path("apiVersion").asText() + ", not a hashedrekord 0.0.1");
        }
        JsonNode spec = entry.path("spec");
        JsonNode hash = spec.path("data").path("hash");
        if (!"sha256".equals(hash.path("algorithm").asText())
                || !HexFormat.of().formatHex(sha256(payload)).equals(hash.path("value").asText())) {
            throw new Rejected("the Rekor entry is for other content than this signature's payload");
        }
        try {
            byte[] logged = Base64.getDecoder().decode(spec.path("signature").path("content").asText());
            if (!Arrays.equals(logged, signature)) {
                throw new Rejected("the Rekor entry records another signature");
            }
            String pem = new String(Base64.getDecoder().decode(
                    spec.path("signature").path("publicKey").path("content").asText()), StandardCharsets.US_ASCII);
            byte[] loggedSigner = pem.contains("CERTIFICATE") ? Pem.block(pem, "CERTIFICATE")
                    : Pem.block(pem, "PUBLIC KEY");
            if (!Arrays.equals(loggedSigner, signerDer)) {
                throw new Rejected("the Rekor entry records another signing key or certificate");
            }
        } catch (IllegalArgumentException e) {
            throw new Rejected("the Rekor entry's signature or key is malformed", e);
        }
    }

    static byte[] sha256(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Parses cosign's {@code dev.sigstore.cosign/bundle} annotation: {@code {SignedEntryTimestamp, Payload}}. */
    static TlogEntry fromCosignBundle(String json) throws Rejected {
        try {
            JsonNode root = JSON.readTree(json);
            JsonNode p = root.path("Payload");
            if (!p.path("body").isTextual() || !p.path("integratedTime").canConvertToLong()
                    || !p.path("logIndex").canConvertToLong() || !p.path("logID").isTextual()
                    || !root.path("SignedEntryTimestamp").isTextual()) {
                throw new Rejected("the Rekor bundle lacks body, integratedTime, logIndex, logID or SET");
            }
            return new TlogEntry(p.path("body").asText(), p.path("integratedTime").asLong(),
                    p.path("logIndex").asLong(), HexFormat.of().parseHex(p.path("logID").asText()),
                    Base64.getDecoder().decode(root.path("SignedEntryTimestamp").asText()));
        } catch (IOException | IllegalArgumentException e) {
            throw new Rejected("the Rekor bundle is malformed: " + e.getMessage(), e);
        }
    }
}
