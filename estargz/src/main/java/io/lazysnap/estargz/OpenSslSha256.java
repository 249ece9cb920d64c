package io.lazysnap.estargz;

import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Optional;
import jnr.ffi.LibraryLoader;
import jnr.ffi.Pointer;
import jnr.ffi.annotations.In;
import jnr.ffi.annotations.Out;
import jnr.ffi.annotations.Pinned;
import jnr.ffi.types.size_t;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SHA-256 computed by OpenSSL's {@code libcrypto}, called through jnr-ffi. The daemon runs without the C2 compiler
 * (packaging/serve.jvm), and the JDK's own SHA-256 compiled by C1 alone hashes about 120 MiB/s; OpenSSL's runs at
 * 1,300-1,500 MiB/s from its first call, which is what verifying every chunk and whole layers at 1 Gbit/s needs.
 * Where the library cannot be loaded, {@link #available} is empty and callers use the JDK's.
 */
final class OpenSslSha256 extends MessageDigest {

    private static final Logger LOG = LoggerFactory.getLogger(OpenSslSha256.class);
    private static final int LENGTH = 32;
    private static final Optional<LibCrypto> CRYPTO = load();
    private static final Cleaner CONTEXTS = Cleaner.create();

    /** The functions of OpenSSL 3's EVP interface that a digest needs; they return 1 on success. */
    public interface LibCrypto {
        Pointer EVP_sha256();

        Pointer EVP_MD_CTX_new();

        void EVP_MD_CTX_free(Pointer context);

        int EVP_DigestInit_ex(Pointer context, Pointer type, Pointer engine);

        int EVP_DigestUpdate(Pointer context, @Pinned @In ByteBuffer data, @size_t long count);

        int EVP_DigestFinal_ex(Pointer context, @Pinned @Out byte[] digest, Pointer length);

        int EVP_Digest(@Pinned @In byte[] data, @size_t long count, @Pinned @Out byte[] digest, Pointer length,
                       Pointer type, Pointer engine);
    }

    private final LibCrypto crypto;
    private final Pointer context;

    private OpenSslSha256(LibCrypto crypto) {
        super("SHA-256");
        Pointer allocated = crypto.EVP_MD_CTX_new();
        if (allocated == null) {
            throw new OutOfMemoryError("OpenSSL could not allocate a digest context");
        }
        this.crypto = crypto;
        this.context = allocated;
        // Locals only: an action that reached this object would keep it, and the context, forever.
        CONTEXTS.register(this, () -> crypto.EVP_MD_CTX_free(allocated));
        init();
    }

    /** A new streaming digest, if OpenSSL is there. */
    static Optional<MessageDigest> create() {
        return CRYPTO.map(OpenSslSha256::new);
    }

    /** The digest of {@code data} in one call, if OpenSSL is there. */
    static Optional<byte[]> hash(byte[] data) {
        return CRYPTO.map(crypto -> {
            byte[] digest = new byte[LENGTH];
            check(crypto.EVP_Digest(data, data.length, digest, null, crypto.EVP_sha256(), null), "EVP_Digest");
            return digest;
        });
    }

    /** Whether SHA-256 comes from OpenSSL in this process. */
    static boolean available() {
        return CRYPTO.isPresent();
    }

    @Override
    protected int engineGetDigestLength() {
        return LENGTH;
    }

    @Override
    protected void engineUpdate(byte input) {
        engineUpdate(new byte[] {input}, 0, 1);
    }

    @Override
    protected void engineUpdate(byte[] input, int offset, int length) {
        if (length > 0) {
            check(crypto.EVP_DigestUpdate(context, ByteBuffer.wrap(input, offset, length), length),
                    "EVP_DigestUpdate");
        }
    }

    @Override
    protected byte[] engineDigest() {
        byte[] digest = new byte[LENGTH];
        check(crypto.EVP_DigestFinal_ex(context, digest, null), "EVP_DigestFinal_ex");
        init();
        return digest;
    }

    @Override
    protected void engineReset() {
        init();
    }

    private void init() {
        check(crypto.EVP_DigestInit_ex(context, crypto.EVP_sha256(), null), "EVP_DigestInit_ex");
    }

    private static void check(int result, String function) {
        if (result != 1) {
            throw new IllegalStateException("OpenSSL's " + function + " failed");
        }
    }

    /** Loads libcrypto and checks it against a known digest (FIPS 180-2's "abc"): a wrong library is never used. */
    private static Optional<LibCrypto> load() {
        try {
            LibCrypto crypto = LibraryLoader.create(LibCrypto.class).load("libcrypto.so.3");
            byte[] digest = new byte[LENGTH];
            check(crypto.EVP_Digest("abc".getBytes(StandardCharsets.US_ASCII), 3, digest, null,
                    crypto.EVP_sha256(), null), "EVP_Digest");
            byte[] expected = HexFormat.of().parseHex(
                    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
            if (!Arrays.equals(digest, expected)) {
                throw new IllegalStateException("its SHA-256 of \"abc\" is wrong");
            }
            return Optional.of(crypto);
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("OpenSSL's libcrypto.so.3 cannot be used ({}): SHA-256 runs on the JDK's code, which the daemon"
                    + " computes about ten times slower; install the libssl3 package", e.toString());
            return Optional.empty();
        }
    }
}
