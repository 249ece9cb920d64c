package io.lazysnap.registry;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/** Content digests ({@code algorithm:hex}) as the OCI image spec defines them. */
final class Digests {

    private static final Pattern SHA256 = Pattern.compile("sha256:[a-f0-9]{64}");
    private static final Pattern SHA512 = Pattern.compile("sha512:[a-f0-9]{128}");

    private Digests() {
    }

    /** @throws IllegalArgumentException if the digest is malformed or uses an algorithm we cannot verify */
    static String validate(String digest) {
        if (digest == null || !(SHA256.matcher(digest).matches() || SHA512.matcher(digest).matches())) {
            throw new IllegalArgumentException("digest '" + digest + "' is not sha256:<64 hex> or sha512:<128 hex>");
        }
        return digest;
    }

    static MessageDigest newDigest(String digest) {
        String algorithm = digest.startsWith("sha512:") ? "SHA-512" : "SHA-256";
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is part of every JDK", e);
        }
    }

    static String sha256(byte[] bytes) {
        return format("sha256", newDigest("sha256:").digest(bytes));
    }

    static String format(String algorithm, byte[] hash) {
        return algorithm + ":" + HexFormat.of().formatHex(hash);
    }

    /** Hashes {@code bytes} with the algorithm of {@code expected}; true when they match. */
    static boolean matches(String expected, byte[] bytes) {
        String algorithm = expected.substring(0, expected.indexOf(':'));
        return format(algorithm, newDigest(expected).digest(bytes)).equals(expected);
    }
}
