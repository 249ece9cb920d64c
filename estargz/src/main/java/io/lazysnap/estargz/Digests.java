package io.lazysnap.estargz;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** OCI digest strings ({@code sha256:<hex>}): the only algorithm eStargz and zstd:chunked use. */
final class Digests {

    private Digests() {
    }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JRE has SHA-256", e);
        }
    }

    static String sha256(byte[] data) {
        return format(sha256().digest(data));
    }

    static String format(byte[] sha256) {
        return "sha256:" + HexFormat.of().formatHex(sha256);
    }
}
