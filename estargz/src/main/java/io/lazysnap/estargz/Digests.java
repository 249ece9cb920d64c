package io.lazysnap.estargz;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** OCI digest strings ({@code sha256:<hex>}): the only algorithm eStargz and zstd:chunked use. */
final class Digests {

    /** Which characters are lowercase hex digits, by code. */
    private static final boolean[] LOWER_HEX = new boolean['f' + 1];

    static {
        for (char c : "0123456789abcdef".toCharArray()) {
            LOWER_HEX[c] = true;
        }
    }

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

    /** {@code sha256:} and 64 lowercase hex digits; checked by hand: twice per TOC entry, a regex was a fifth of parsing. */
    static boolean isSha256(String digest) {
        if (digest == null || digest.length() != 71 || !digest.startsWith("sha256:")) {
            return false;
        }
        for (int i = 7; i < 71; i++) {
            char c = digest.charAt(i);
            if (c >= LOWER_HEX.length || !LOWER_HEX[c]) {
                return false;
            }
        }
        return true;
    }
}
