package io.lazysnap.verifier;

import java.util.Arrays;

/** Just enough DER to unwrap one primitive value (X.509 extension values). */
final class Der {

    static final int OCTET_STRING = 0x04;
    static final int UTF8_STRING = 0x0c;

    private Der() {
    }

    /** The contents of the single TLV {@code der} holds, which must have tag {@code tag}. */
    static byte[] contents(byte[] der, int tag) {
        if (der.length < 2 || (der[0] & 0xff) != tag) {
            throw new IllegalArgumentException("expected DER tag " + tag);
        }
        int length = der[1] & 0xff;
        int start = 2;
        if (length > 0x7f) {
            int octets = length & 0x7f;
            if (octets < 1 || octets > 3 || der.length < 2 + octets) {
                throw new IllegalArgumentException("unsupported DER length");
            }
            length = 0;
            for (int i = 0; i < octets; i++) {
                length = (length << 8) | (der[2 + i] & 0xff);
            }
            start += octets;
        }
        if (start + length != der.length) {
            throw new IllegalArgumentException("DER length does not match the value");
        }
        return Arrays.copyOfRange(der, start, der.length);
    }
}
