package io.lazysnap.estargz;

import java.security.Provider;
import java.util.Optional;
import org.conscrypt.Conscrypt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Conscrypt: Google's Java security provider over BoringSSL, for SHA-256 ({@link Sha256}) and TLS (the registry
 * client). The daemon's JIT stops at C1 (packaging/serve.jvm), under which the JDK's own SHA-256 runs about 120 MiB/s
 * and its AES-GCM about 25 MiB/s; BoringSSL's run at about 1,200 MiB/s (as {@link NativeSha256} feeds it) and at the
 * CPU's AES speed from their first call, without the compilations C2 would need to get there. Where Conscrypt's
 * native library cannot be loaded (another CPU architecture, or a {@code noexec} directory it is unpacked into:
 * {@code -Dorg.conscrypt.native.workdir}, else {@code java.io.tmpdir}), or {@code -Dlazysnap.crypto=jdk} turns it
 * off, callers use the JDK's.
 */
public final class CryptoProvider {

    /** {@code -Dlazysnap.crypto=jdk}: the JDK's SHA-256 and TLS, e.g. to rule Conscrypt out when chasing a fault. */
    public static final String SWITCH = "lazysnap.crypto";

    private static final Logger LOG = LoggerFactory.getLogger(CryptoProvider.class);
    private static final Loaded LOADED = load();

    /** Conscrypt's provider and its description, or why there is none. */
    private record Loaded(Optional<Provider> provider, String description) {
    }

    private CryptoProvider() {
    }

    /** Conscrypt's provider, if it is on and its native library loaded in this process. */
    public static Optional<Provider> conscrypt() {
        return LOADED.provider();
    }

    /** Where SHA-256 and TLS come from in this process, or why not from BoringSSL: for logs and doctor. */
    public static String describe() {
        return LOADED.description();
    }

    private static Loaded load() {
        if ("jdk".equals(System.getProperty(SWITCH))) {
            return new Loaded(Optional.empty(), "the JDK's, as -D" + SWITCH + "=jdk asks");
        }
        try {
            Conscrypt.checkAvailability();
            Conscrypt.Version v = Conscrypt.version();
            return new Loaded(Optional.of(Conscrypt.newProvider()),
                    "BoringSSL's, through Conscrypt " + v.major() + "." + v.minor() + "." + v.patch());
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("Conscrypt's native library cannot be loaded ({}): SHA-256 and TLS run on the JDK's code, which"
                    + " the daemon runs ten times slower or worse. It is unpacked into -Dorg.conscrypt.native.workdir,"
                    + " else java.io.tmpdir: that directory must allow executables", e.toString());
            return new Loaded(Optional.empty(), "the JDK's: Conscrypt's native library cannot be loaded ("
                    + e + ")");
        }
    }
}
