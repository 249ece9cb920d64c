package io.lazysnap.estargz;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** OCI digest strings ({@code sha256:<hex>}): the only algorithm eStargz and zstd:chunked use. */
final class Digests {

    private Digests() {
    }

    /** A streaming SHA-256: BoringSSL's where it can be loaded ({@link NativeSha256}), else the JDK's. */
    static MessageDigest sha256() {
        return NativeSha256.create().orElseGet(Digests::jdkSha256);
    }

    static MessageDigest jdkSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JRE has SHA-256", e);
        }
    }

    static String sha256(byte[] data) {
        return Sha256.hash(data).toString();
    }

    static String format(byte[] sha256) {
        return "sha256:" + HexFormat.of().formatHex(sha256);
    }
}
