package io.lazysnap.estargz;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A sha256 digest kept as its 32 bytes. A TOC holds one for each chunk (a single chunk shares its file's), the disk
 * cache one for each of its files, and the keys of cached chunks point at the TOC's: 48 bytes each instead of the
 * 112 of a {@code sha256:<hex>} string. The string form is made only where one is printed or named.
 */
public final class Sha256 {

    private static final String PREFIX = "sha256:";
    private static final HexFormat HEX = HexFormat.of();
    /** Chunk verification hashes every chunk: one digest per thread rather than one per chunk. */
    private static final ThreadLocal<MessageDigest> ONE_SHOT = ThreadLocal.withInitial(Digests::sha256);

    /** The digest's bytes, big-endian: {@code first} holds its first eight, which is also its {@link #prefix}. */
    private final long first;
    private final long second;
    private final long third;
    private final long fourth;

    private Sha256(long first, long second, long third, long fourth) {
        this.first = first;
        this.second = second;
        this.third = third;
        this.fourth = fourth;
    }

    /** The digest {@code sha256:<64 lower-case hex>}, or null for anything else. */
    public static Sha256 parse(String digest) {
        return digest != null && digest.startsWith(PREFIX) ? parse(digest, PREFIX.length()) : null;
    }

    /** The digest whose 64 lower-case hex digits are {@code hex} (a disk cache file's name), or null. */
    public static Sha256 ofHex(String hex) {
        return parse(hex, 0);
    }

    /** The digest a {@link java.security.MessageDigest} for SHA-256 produced. */
    public static Sha256 of(byte[] digest) {
        if (digest.length != 32) {
            throw new IllegalArgumentException("a sha256 digest has 32 bytes, not " + digest.length);
        }
        ByteBuffer bytes = ByteBuffer.wrap(digest); // big-endian
        return new Sha256(bytes.getLong(0), bytes.getLong(8), bytes.getLong(16), bytes.getLong(24));
    }

    /** The sha256 of {@code data}. */
    public static Sha256 hash(byte[] data) {
        MessageDigest digest = ONE_SHOT.get();
        try {
            return of(digest.digest(data));
        } catch (RuntimeException | Error e) {
            digest.reset(); // the thread's next chunk must not be hashed after these bytes
            throw e;
        }
    }

    /** A SHA-256 {@link MessageDigest} for data that comes in pieces: BoringSSL's if it loads, else the JDK's. */
    public static MessageDigest newDigest() {
        return Digests.sha256();
    }

    /** The 64 hex digits. */
    public String hex() {
        return HEX.toHexDigits(first) + HEX.toHexDigits(second) + HEX.toHexDigits(third) + HEX.toHexDigits(fourth);
    }

    /** The digest's first 64 bits: enough to tell apart the chunks of a node's layers, at 8 bytes each. */
    public long prefix() {
        return first;
    }

    /** {@code sha256:<hex>}. */
    @Override
    public String toString() {
        return PREFIX + hex();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Sha256 d && first == d.first && second == d.second && third == d.third
                && fourth == d.fourth;
    }

    @Override
    public int hashCode() {
        return (int) (first ^ first >>> 32); // a digest's bits are uniform already
    }

    private static Sha256 parse(String s, int start) {
        if (s.length() != start + 64) {
            return null;
        }
        for (int i = start; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return null;
            }
        }
        return new Sha256(HexFormat.fromHexDigitsToLong(s, start, start + 16),
                HexFormat.fromHexDigitsToLong(s, start + 16, start + 32),
                HexFormat.fromHexDigitsToLong(s, start + 32, start + 48),
                HexFormat.fromHexDigitsToLong(s, start + 48, start + 64));
    }
}
