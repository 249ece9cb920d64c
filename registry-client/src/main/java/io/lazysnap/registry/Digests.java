package io.lazysnap.registry;

import io.lazysnap.estargz.Sha256;
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

    /** A digest of the algorithm of {@code digest}; SHA-256 comes from {@link Sha256#newDigest} (BoringSSL). */
    static MessageDigest newDigest(String digest) {
        if (!digest.startsWith("sha512:")) {
            return Sha256.newDigest();
        }
        try {
            return MessageDigest.getInstance("SHA-512");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-512 is part of every JDK", e);
        }
    }

    static String sha256(byte[] bytes) {
        return Sha256.hash(bytes).toString();
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
