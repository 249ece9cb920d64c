package io.lazysnap.daemon.remote;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Decrypts 8 MiB with AES-GCM in TLS-sized records, once at start-up. HTTPS registries' bytes reach the daemon
 * through the JDK's TLS, whose AES-GCM runs about 55 MiB/s until the C2 compiler compiles it with the CPU's AES and
 * carry-less multiply instructions (about 2,800 MiB/s). At the daemon's C2 thresholds (packaging/serve.jvm) that took
 * some 380 MiB of traffic: every pull from an HTTPS registry until then paid for it, about 50 ms of CPU for each 3 MB
 * prefetched. serve.jvm lowers those thresholds for the JDK's cipher classes, so that these records are enough.
 */
public final class TlsCipherWarmUp {

    private static final int RECORD = 16 << 10;
    private static final int RECORDS = 512;
    private static final int TAG_BITS = 128;

    private TlsCipherWarmUp() {
    }

    /** Runs the decryptions; what failed, if anything. */
    public static Optional<String> run() {
        try {
            SecureRandom random = new SecureRandom();
            byte[] key = new byte[16];
            byte[] iv = new byte[12];
            byte[] plain = new byte[RECORD];
            random.nextBytes(key);
            random.nextBytes(iv);
            random.nextBytes(plain);
            SecretKeySpec aes = new SecretKeySpec(key, "AES");
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, aes, new GCMParameterSpec(TAG_BITS, iv));
            byte[] sealed = cipher.doFinal(plain);
            byte[] opened = new byte[RECORD];
            for (int i = 0; i < RECORDS; i++) {
                cipher.init(Cipher.DECRYPT_MODE, aes, new GCMParameterSpec(TAG_BITS, iv));
                cipher.doFinal(sealed, 0, sealed.length, opened, 0);
            }
            return Arrays.equals(plain, opened) ? Optional.empty()
                    : Optional.of("AES-GCM decrypted to other bytes than it encrypted");
        } catch (GeneralSecurityException e) {
            return Optional.of(e.toString());
        }
    }
}
