package io.lazysnap.fs;

import java.util.HexFormat;

/**
 * The name of a disk cache file: the sha256 of the chunk it holds, kept as its 32 bytes. The cache's index holds
 * one per file in the heap, where 48 bytes replace the 104 of a 64-character string; the hex form is made only for
 * the file's path.
 */
final class DiskName {

    private static final String SHA256 = "sha256:";

    /** The digest's bytes, big-endian: {@code first} holds its first eight, which is also its {@link #prefix}. */
    private final long first;
    private final long second;
    private final long third;
    private final long fourth;

    private DiskName(long first, long second, long third, long fourth) {
        this.first = first;
        this.second = second;
        this.third = third;
        this.fourth = fourth;
    }

    /** The name of a file found in the cache directory, or null if it is no chunk's name (64 lower-case hex). */
    static DiskName ofHex(String hex) {
        return parse(hex, 0);
    }

    /** The name for a chunk digest {@code sha256:<64 hex>}, or null for any other digest (never stored on disk). */
    static DiskName ofDigest(String digest) {
        return digest != null && digest.startsWith(SHA256) ? parse(digest, SHA256.length()) : null;
    }

    private static DiskName parse(String s, int start) {
        if (s.length() != start + 64) {
            return null;
        }
        for (int i = start; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return null;
            }
        }
        return new DiskName(HexFormat.fromHexDigitsToLong(s, start, start + 16),
                HexFormat.fromHexDigitsToLong(s, start + 16, start + 32),
                HexFormat.fromHexDigitsToLong(s, start + 32, start + 48),
                HexFormat.fromHexDigitsToLong(s, start + 48, start + 64));
    }

    String hex() {
        char[] hex = new char[64];
        put(hex, 0, first);
        put(hex, 16, second);
        put(hex, 32, third);
        put(hex, 48, fourth);
        return new String(hex);
    }

    private static void put(char[] hex, int at, long bits) {
        for (int i = at + 15; i >= at; i--) {
            hex[i] = Character.forDigit((int) (bits & 0xf), 16);
            bits >>>= 4;
        }
    }

    String digest() {
        return SHA256 + hex();
    }

    /** The digest's first 64 bits: enough to tell the chunks of the mounted layers apart, at 8 bytes each. */
    long prefix() {
        return first;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof DiskName n && first == n.first && second == n.second && third == n.third
                && fourth == n.fourth;
    }

    @Override
    public int hashCode() {
        // A digest's bits are uniform already.
        return (int) (first ^ first >>> 32);
    }

    @Override
    public String toString() {
        return hex();
    }
}
