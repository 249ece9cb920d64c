package io.lazysnap.verifier;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;

/**
 * The "simple signing" payload cosign signs: {@code critical.image.docker-manifest-digest} binds the signature to
 * one manifest, {@code critical.identity.docker-reference} to a name.
 */
record SimpleSigningPayload(String manifestDigest, String dockerReference) {

    static final String MEDIA_TYPE = "application/vnd.dev.cosign.simplesigning.v1+json";
    static final String TYPE = "cosign container image signature";
    private static final ObjectMapper JSON = new ObjectMapper();

    static SimpleSigningPayload parse(byte[] payload) throws Rejected {
        JsonNode critical;
        try {
            critical = JSON.readTree(payload).path("critical");
        } catch (IOException e) {
            throw new Rejected("the signed payload is not JSON");
        }
        if (!TYPE.equals(critical.path("type").asText())) {
            throw new Rejected("the signed payload's critical.type is '" + critical.path("type").asText()
                    + "', not '" + TYPE + "'");
        }
        JsonNode digest = critical.path("image").path("docker-manifest-digest");
        if (!digest.isTextual()) {
            throw new Rejected("the signed payload names no critical.image.docker-manifest-digest");
        }
        return new SimpleSigningPayload(digest.asText(), critical.path("identity").path("docker-reference").asText());
    }

    /** The payload cosign writes for {@code dockerReference} at {@code manifestDigest}. */
    static byte[] of(String dockerReference, String manifestDigest) {
        var root = JSON.createObjectNode();
        var critical = root.putObject("critical");
        critical.putObject("identity").put("docker-reference", dockerReference);
        critical.putObject("image").put("docker-manifest-digest", manifestDigest);
        critical.put("type", TYPE);
        root.putNull("optional");
        return root.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }
}
