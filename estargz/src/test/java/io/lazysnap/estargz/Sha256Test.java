package io.lazysnap.estargz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class Sha256Test {

    @Test
    void aDigestsBytesGiveBackItsNameItsDigestAndItsFirstSixtyFourBits() {
        Random random = new Random(3);
        for (int i = 0; i < 100; i++) {
            byte[] bytes = new byte[32];
            random.nextBytes(bytes);
            String hex = HexFormat.of().formatHex(bytes);
            Sha256 name = Sha256.parse("sha256:" + hex);
            assertEquals(hex, name.hex());
            assertEquals("sha256:" + hex, name.toString());
            assertEquals(name, Sha256.of(bytes));
            assertEquals(Long.parseUnsignedLong(hex.substring(0, 16), 16), name.prefix());
            assertEquals(name, Sha256.ofHex(hex));
            assertEquals(name.hashCode(), Sha256.ofHex(hex).hashCode());
        }
    }

    @Test
    void digestsAreEqualOnlyWhenEveryByteIsAndHashIsSha256() {
        byte[] bytes = new byte[32];
        new Random(5).nextBytes(bytes);
        Sha256 digest = Sha256.of(bytes);
        for (int i = 0; i < 32; i++) {
            byte[] other = bytes.clone();
            other[i] ^= 1;
            assertNotEquals(digest, Sha256.of(other), "byte " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> Sha256.of(new byte[31]));
        assertEquals(digest, Sha256.of(bytes.clone()));
        byte[] data = "chunk".getBytes(java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(Digests.sha256(data), Sha256.hash(data).toString());
    }

    @Test
    void namesDifferingInAnyOfTheirBytesDiffer() {
        String zeros = "0".repeat(64);
        for (int at = 0; at < 64; at++) {
            String one = zeros.substring(0, at) + "1" + zeros.substring(at + 1);
            assertNotEquals(Sha256.ofHex(zeros), Sha256.ofHex(one), "digit " + at);
        }
    }

    @Test
    void onlyASha256InLowerCaseHexIsOne() {
        String hex = "ab".repeat(32);
        assertNull(Sha256.ofHex(hex.toUpperCase()), "upper case: not a name the cache writes");
        assertNull(Sha256.ofHex(hex.substring(1)));
        assertNull(Sha256.ofHex(hex + "0"));
        assertNull(Sha256.ofHex(hex.substring(2) + "g0"));
        assertNull(Sha256.parse("sha512:" + hex));
        assertNull(Sha256.parse("sha256:" + hex.substring(2)));
        assertNull(Sha256.parse(null));
        assertEquals(hex, Sha256.parse("sha256:" + hex).hex());
    }
}
