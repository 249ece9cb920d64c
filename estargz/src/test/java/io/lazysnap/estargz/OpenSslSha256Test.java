package io.lazysnap.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.ref.WeakReference;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OpenSslSha256Test {

    private static final int[] SIZES = {0, 1, 55, 56, 63, 64, 65, 1000, (1 << 20) + 3};

    private final Random random = new Random(12);

    @Test
    void libcryptoIsLoadedHere() {
        // scripts/install-deps installs libssl3; without it the daemon would hash ten times slower.
        assertTrue(OpenSslSha256.available());
        assertInstanceOf(OpenSslSha256.class, Sha256.newDigest());
    }

    @Test
    void oneCallDigestsAreTheJdks() {
        for (int size : SIZES) {
            byte[] data = bytes(size);
            assertEquals(Sha256.of(Digests.jdkSha256().digest(data)), Sha256.hash(data), size + " bytes");
        }
    }

    @Test
    void piecesInEveryFormGiveTheJdksDigestAndEachDigestStartsAfresh() {
        MessageDigest digest = Sha256.newDigest();
        for (int size : SIZES) {
            byte[] data = bytes(size);
            int at = 0;
            while (at < size) {
                int n = Math.min(size - at, 1 + random.nextInt(70_000));
                switch (random.nextInt(4)) {
                    case 0 -> {
                        digest.update(data[at]);
                        n = 1;
                    }
                    case 1 -> digest.update(data, at, n);
                    case 2 -> digest.update(ByteBuffer.wrap(data, at, n));
                    default -> digest.update(ByteBuffer.allocateDirect(n).put(data, at, n).flip());
                }
                at += n;
            }
            assertArrayEquals(Digests.jdkSha256().digest(data), digest.digest(), size + " bytes");
        }
        digest.update(bytes(100));
        digest.reset();
        byte[] data = bytes(5000);
        assertArrayEquals(Digests.jdkSha256().digest(data), digest.digest(data));
    }

    @Test
    void aDroppedDigestIsCollectedSoItsContextCanBeFreed() throws Exception {
        WeakReference<MessageDigest> dropped = new WeakReference<>(Sha256.newDigest());
        for (int i = 0; i < 50 && dropped.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertNull(dropped.get(), "something still holds the digest (its cleaning action?)");
    }

    private byte[] bytes(int size) {
        byte[] b = new byte[size];
        random.nextBytes(b);
        return b;
    }
}
