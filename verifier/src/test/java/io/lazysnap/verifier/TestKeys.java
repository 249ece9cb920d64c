package io.lazysnap.verifier;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.util.Base64;

/** Keys generated for a test, with the public half written where a policy can name it. */
record TestKeys(KeyPair pair, Path publicPem) {

    static TestKeys ecdsa(Path dir, String name) throws IOException, GeneralSecurityException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(256);
        KeyPair pair = generator.generateKeyPair();
        Path pem = dir.resolve(name + ".pub");
        Files.writeString(pem, Pem.publicKeyPem(pair.getPublic()));
        return new TestKeys(pair, pem);
    }

    CosignSigner signer() {
        return new CosignSigner(pair.getPrivate());
    }

    /** A key-based sigstore bundle v0.3 as cosign v3 writes for an image: DSSE over an in-toto statement. */
    byte[] bundle(String name, String digest, String predicateType) {
        String statement = "{\"_type\":\"https://in-toto.io/Statement/v1\",\"subject\":[{\"name\":\"" + name
                + "\",\"digest\":{\"sha256\":\"" + digest.substring(7) + "\"}}],\"predicateType\":\""
                + predicateType + "\",\"predicate\":{}}";
        byte[] payload = statement.getBytes(StandardCharsets.UTF_8);
        byte[] sig = signer().sign(BundleVerifier.pae(BundleVerifier.IN_TOTO, payload));
        Base64.Encoder b64 = Base64.getEncoder();
        return ("{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\",\"verificationMaterial\":"
                + "{\"publicKey\":{\"hint\":\"test\"}},\"dsseEnvelope\":{\"payload\":\"" + b64.encodeToString(payload)
                + "\",\"payloadType\":\"" + BundleVerifier.IN_TOTO + "\",\"signatures\":[{\"sig\":\""
                + b64.encodeToString(sig) + "\",\"keyid\":\"\"}]}}").getBytes(StandardCharsets.UTF_8);
    }
}
