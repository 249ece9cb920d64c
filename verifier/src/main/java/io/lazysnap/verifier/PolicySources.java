package io.lazysnap.verifier;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Everything a policy was made from, its text and every key, certificate and trusted root it read, hashed in the
 * order read: two policies with the same fingerprint decide alike.
 */
final class PolicySources {

    private final MessageDigest sha256;

    PolicySources() {
        try {
            sha256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    void add(String name, String content) {
        add(name, content.getBytes(StandardCharsets.UTF_8));
    }

    void add(String name, byte[] content) {
        byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
        sha256.update(ByteBuffer.allocate(8).putInt(nameBytes.length).putInt(content.length).array());
        sha256.update(nameBytes);
        sha256.update(content);
    }

    String fingerprint() {
        return "sha256:" + HexFormat.of().formatHex(sha256.digest());
    }
}
