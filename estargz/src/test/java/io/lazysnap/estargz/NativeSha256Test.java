package io.lazysnap.estargz;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NativeSha256Test {

    private static final int[] SIZES = {0, 1, 55, 56, 63, 64, 65, 1000, 16 << 10, (16 << 10) + 1, (1 << 20) + 3};

    private final Random random = new Random(12);

    @Test
    void boringSslIsLoadedHere() {
        // Conscrypt's native library is in its jar; without it the daemon would hash ten times slower.
        assertTrue(CryptoProvider.conscrypt().isPresent());
        assertInstanceOf(NativeSha256.class, Sha256.newDigest());
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
                switch (random.nextInt(5)) {
                    case 0 -> {
                        digest.update(data[at]);
                        n = 1;
                    }
                    case 1 -> digest.update(data, at, n);
                    case 2 -> digest.update(ByteBuffer.wrap(data, at, n));
                    case 3 -> digest.update(ByteBuffer.wrap(data, at, n).asReadOnlyBuffer());
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
    void threadsHashingAtOnceDoNotMixTheirBytes() throws Exception {
        // Each thread stages its bytes in a buffer of its own; shared staging would mix them up.
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                byte[] data = bytes(200_000 + t);
                done.add(pool.submit(() -> {
                    Sha256 expected = Sha256.of(Digests.jdkSha256().digest(data));
                    for (int i = 0; i < 50; i++) {
                        assertEquals(expected, Sha256.hash(data));
                    }
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private byte[] bytes(int size) {
        byte[] b = new byte[size];
        random.nextBytes(b);
        return b;
    }
}
