package io.lazysnap.registry;

import java.io.IOException;
import java.security.MessageDigest;

/** The SHA-256 of a blob read front to back, checked against its descriptor's digest once the last byte is in. */
public final class BlobDigest {

    private final String expected;
    private final MessageDigest sha256;
    private boolean verified;

    /** @param expected the descriptor's {@code sha256:} digest */
    public BlobDigest(String expected) {
        if (!expected.startsWith("sha256:")) {
            throw new IllegalArgumentException("only sha256 digests are supported, not " + expected);
        }
        this.expected = expected;
        this.sha256 = newSha256();
    }

    public static MessageDigest newSha256() {
        return Digests.newDigest("sha256:");
    }

    /** {@code sha256:<hex>} of a SHA-256 result. */
    public static String format(byte[] sha256) {
        return Digests.format("sha256", sha256);
    }

    /** {@code sha256:<hex>} of {@code bytes}. */
    public static String sha256(byte[] bytes) {
        return Digests.sha256(bytes);
    }

    public void update(byte[] bytes, int offset, int length) {
        sha256.update(bytes, offset, length);
    }

    /** Throws unless the bytes seen so far have the expected digest; {@code what} names the blob. */
    public void verify(String what) throws IOException {
        if (verified) {
            return;
        }
        String actual = format(sha256.digest());
        if (!actual.equals(expected)) {
            throw new IOException(what + " has digest " + actual + ", not " + expected + ": the registry sent other"
                    + " bytes than the image's manifest names");
        }
        verified = true;
    }
}
