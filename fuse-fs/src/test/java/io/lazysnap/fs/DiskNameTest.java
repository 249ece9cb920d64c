package io.lazysnap.fs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DiskNameTest {

    @Test
    void aDigestsBytesGiveBackItsNameItsDigestAndItsFirstSixtyFourBits() {
        Random random = new Random(3);
        for (int i = 0; i < 100; i++) {
            byte[] bytes = new byte[32];
            random.nextBytes(bytes);
            String hex = HexFormat.of().formatHex(bytes);
            DiskName name = DiskName.ofDigest("sha256:" + hex);
            assertEquals(hex, name.hex());
            assertEquals("sha256:" + hex, name.digest());
            assertEquals(Long.parseUnsignedLong(hex.substring(0, 16), 16), name.prefix());
            assertEquals(name, DiskName.ofHex(hex));
            assertEquals(name.hashCode(), DiskName.ofHex(hex).hashCode());
        }
    }

    @Test
    void namesDifferingInAnyOfTheirBytesDiffer() {
        String zeros = "0".repeat(64);
        for (int at = 0; at < 64; at++) {
            String one = zeros.substring(0, at) + "1" + zeros.substring(at + 1);
            assertNotEquals(DiskName.ofHex(zeros), DiskName.ofHex(one), "digit " + at);
        }
    }

    @Test
    void onlyASha256InLowerCaseHexNamesADiskFile() {
        String hex = "ab".repeat(32);
        assertNull(DiskName.ofHex(hex.toUpperCase()), "upper case: not a name the cache writes");
        assertNull(DiskName.ofHex(hex.substring(1)));
        assertNull(DiskName.ofHex(hex + "0"));
        assertNull(DiskName.ofHex(hex.substring(2) + "g0"));
        assertNull(DiskName.ofDigest("sha512:" + hex));
        assertNull(DiskName.ofDigest("sha256:" + hex.substring(2)));
        assertNull(DiskName.ofDigest(null));
        assertEquals(hex, DiskName.ofDigest("sha256:" + hex).hex());
    }
}
