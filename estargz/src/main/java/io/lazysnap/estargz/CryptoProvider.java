package io.lazysnap.estargz;

import java.security.Provider;
import java.util.Optional;
import org.conscrypt.Conscrypt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Conscrypt: Google's Java security provider over BoringSSL, for SHA-256 ({@link Sha256}) and TLS (the registry
 * client). The daemon's JIT stops at C1 (packaging/serve.jvm), under which the JDK's own SHA-256 runs about 120 MiB/s
 * and its AES-GCM about 25 MiB/s; BoringSSL's run at 1,300-1,400 MiB/s and at the CPU's AES speed from their first
 * call, without the compilations C2 would need to get there. Where Conscrypt's native library cannot be loaded
 * (another CPU architecture, or a {@code noexec} temporary directory it is unpacked into), callers use the JDK's.
 */
public final class CryptoProvider {

    private static final Logger LOG = LoggerFactory.getLogger(CryptoProvider.class);
    private static final Loaded LOADED = load();

    /** Conscrypt's provider, or why there is none. */
    private record Loaded(Optional<Provider> provider, Optional<String> failure) {
    }

    private CryptoProvider() {
    }

    /** Conscrypt's provider, if its native library loaded in this process. */
    public static Optional<Provider> conscrypt() {
        return LOADED.provider();
    }

    /** Why Conscrypt could not be loaded, if it could not. */
    public static Optional<String> failure() {
        return LOADED.failure();
    }

    private static Loaded load() {
        try {
            Conscrypt.checkAvailability();
            return new Loaded(Optional.of(Conscrypt.newProvider()), Optional.empty());
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("Conscrypt's native library cannot be loaded ({}): SHA-256 and TLS run on the JDK's code, which"
                    + " the daemon runs ten times slower or worse. It is unpacked into java.io.tmpdir: if that is"
                    + " mounted noexec, set -Dorg.conscrypt.native.workdir to a directory that is not", e.toString());
            return new Loaded(Optional.empty(), Optional.of(e.toString()));
        }
    }
}
