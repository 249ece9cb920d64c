package io.lazysnap.estargz;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.Provider;
import java.util.Optional;

/**
 * SHA-256 by BoringSSL ({@link CryptoProvider}). Bytes reach it through a direct buffer of each thread, 16 KiB at
 * a time, so native code never holds a Java array: with the daemon's serial collector, JDK 17 can fail an
 * allocation with OutOfMemoryError while another thread pins an array (JDK-8192647), and the daemon exits on that.
 * The copy costs a few percent of the hashing.
 */
final class NativeSha256 extends MessageDigest {

    private static final int STAGE = 16 << 10;
    private static final ThreadLocal<ByteBuffer> STAGING =
            ThreadLocal.withInitial(() -> ByteBuffer.allocateDirect(STAGE));

    private final MessageDigest boring;

    private NativeSha256(Provider provider) {
        super("SHA-256");
        try {
            this.boring = MessageDigest.getInstance("SHA-256", provider);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(provider.getName() + " has no SHA-256", e);
        }
    }

    /** A new streaming digest, if BoringSSL is there. */
    static Optional<MessageDigest> create() {
        return CryptoProvider.conscrypt().map(NativeSha256::new);
    }

    @Override
    protected int engineGetDigestLength() {
        return 32;
    }

    @Override
    protected void engineUpdate(byte input) {
        ByteBuffer stage = STAGING.get();
        stage.clear();
        boring.update(stage.put(input).flip());
    }

    @Override
    protected void engineUpdate(ByteBuffer input) {
        if (input.isDirect()) {
            boring.update(input); // by address: no Java array involved
        } else if (input.hasArray()) {
            int n = input.remaining();
            engineUpdate(input.array(), input.arrayOffset() + input.position(), n);
            input.position(input.position() + n);
        } else {
            super.engineUpdate(input); // read-only heap buffers: copied through a temporary array
        }
    }

    @Override
    protected void engineUpdate(byte[] input, int offset, int length) {
        ByteBuffer stage = STAGING.get();
        for (int at = offset, end = offset + length; at < end; ) {
            int n = Math.min(STAGE, end - at);
            stage.clear();
            boring.update(stage.put(input, at, n).flip());
            at += n;
        }
    }

    @Override
    protected byte[] engineDigest() {
        return boring.digest();
    }

    @Override
    protected void engineReset() {
        boring.reset();
    }
}
