package io.lazysnap.daemon.remote;

import io.lazysnap.estargz.CryptoProvider;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads Conscrypt's native library ({@link CryptoProvider}) from the daemon's own directory rather than
 * {@code /tmp}, which hardened nodes mount {@code noexec}: without it SHA-256 and TLS would run on the JDK's code,
 * ten times slower or worse under the daemon's C1-only JIT.
 */
public final class ConscryptLibrary {

    private static final Logger LOG = LoggerFactory.getLogger(ConscryptLibrary.class);
    private static final String WORKDIR = "org.conscrypt.native.workdir";
    /** Conscrypt's name for the file it unpacks, and deletes once loaded; a daemon killed meanwhile leaves it. */
    private static final String UNPACKED = "libconscrypt_openjdk_jni-";

    private ConscryptLibrary() {
    }

    /**
     * Points Conscrypt at {@code dir} (unless the operator named one with {@code -Dorg.conscrypt.native.workdir}),
     * removes what killed daemons left there, loads it now and logs where SHA-256 and TLS come from. Call holding
     * the root's lock, before anything hashes or speaks TLS.
     */
    public static void loadUnder(Path dir) throws IOException {
        if (System.getProperty(WORKDIR) == null) {
            Files.createDirectories(dir);
            try (DirectoryStream<Path> stale = Files.newDirectoryStream(dir, UNPACKED + "*")) {
                for (Path file : stale) {
                    Files.deleteIfExists(file);
                }
            }
            System.setProperty(WORKDIR, dir.toString());
        }
        LOG.info("SHA-256 and TLS: {}", CryptoProvider.describe());
    }
}
